"""Exchange rates of the demo: EUR->USD, GBP->USD and EUR->GBP on the first and last day of
every month. The inverse pairs (USD->EUR, USD->GBP, GBP->EUR) are never delivered, so the
contract's inverse rule is always exercised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openspm.demo.calendar import Calendar, first_day_of_month
from openspm.demo.names import CURRENCIES

PAIRS: tuple[tuple[str, str], ...] = (("EUR", "USD"), ("GBP", "USD"), ("EUR", "GBP"))
RATE_SCALE = 1_000_000  # rates are delivered with 6 decimals


@dataclass(frozen=True)
class FxRates:
    """Delivered rates (integers in millionths) and a monthly USD value of each currency."""

    rate_day: np.ndarray  # day of each delivered row
    pair: np.ndarray  # index into PAIRS
    rate_micros: np.ndarray  # rate x 1e6
    usd_per_unit: np.ndarray  # [currency index, month offset] -> USD per unit, first-of-month

    def to_usd(self, currency: np.ndarray, month_offset: np.ndarray) -> np.ndarray:
        """USD per unit of ``currency`` (index into CURRENCIES) in each month of the period."""
        month = np.clip(month_offset, 0, self.usd_per_unit.shape[1] - 1)
        return self.usd_per_unit[currency, month]


def make_fx(cal: Calendar, rng: np.random.Generator) -> FxRates:
    """A drifting random walk from early-2025 levels, two rate dates a month."""
    starts = first_day_of_month(cal.months)
    ends = first_day_of_month(cal.months + 1) - 1
    days = np.stack([starts, ends], axis=1).reshape(-1)  # first, last, first, last, ...
    steps = rng.normal(0.0, 0.011, size=(days.size, 2))
    steps[0] = 0.0
    eur_usd = 1.0412 * np.exp(np.cumsum(steps[:, 0]))
    gbp_usd = 1.2378 * np.exp(np.cumsum(0.8 * steps[:, 0] + 0.6 * steps[:, 1]))
    eur_gbp = eur_usd / gbp_usd * (1.0 + rng.normal(0.0, 0.0004, size=days.size))
    rates = np.stack([eur_usd, gbp_usd, eur_gbp], axis=1)
    micros = np.rint(rates * RATE_SCALE).astype("int64")
    n = days.size
    usd = np.ones((len(CURRENCIES), cal.n_months))
    usd[CURRENCIES.index("EUR")] = micros[0::2, 0] / RATE_SCALE
    usd[CURRENCIES.index("GBP")] = micros[0::2, 1] / RATE_SCALE
    return FxRates(
        rate_day=np.repeat(days, 3),
        pair=np.tile(np.arange(3), n),
        rate_micros=micros.reshape(-1),
        usd_per_unit=usd,
    )
