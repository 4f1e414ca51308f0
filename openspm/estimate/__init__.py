"""The deal estimator: what a deal would add to each credited person's earnings (docs/modelling.md).

    deal = make_deal("E0042", "120000", "2026-10-15", "new_business", splits=["E0043=40"])
    estimate = estimate_deal(workspace, deal)   # the engine's SQL, read-only
    print(explain(estimate)); estimate.as_dict()  # text, or plain data for a CRM widget
"""

from openspm.estimate.deal import DealInput, EstimateError, Share, make_deal
from openspm.estimate.estimator import Credit, Estimate, KeyChange, estimate_deal
from openspm.estimate.explain import explain

__all__ = [
    "Credit",
    "DealInput",
    "Estimate",
    "EstimateError",
    "KeyChange",
    "Share",
    "estimate_deal",
    "explain",
    "make_deal",
]
