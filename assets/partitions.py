"""Monthly partitions, and the single-run backfill policy of the partitioned assets.

The partitions of a workspace start at its first_period (``openspm.periods.partitions_start``)
and end with the current month (end_offset=1: the open month can be drafted); keys are
``YYYY-MM-01``. A run of one partition or of a range computes drafts through its last month
(``assets.run_tags.through_period``).

``backfill_policy`` is a Dagster beta parameter that OpenSPM uses on purpose (a range of
months is one run); Dagster's warning about it at every import is not news for a user, so it
is silenced here, where the policy is defined, for that parameter only.
"""

from __future__ import annotations

import warnings
from functools import cache

import dagster as dg

warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

SINGLE_RUN = dg.BackfillPolicy.single_run()  # a range of months is computed in one run


@cache
def monthly_partitions(first_month: str) -> dg.MonthlyPartitionsDefinition:
    """Monthly partitions from ``first_month`` (YYYY-MM) through the current month."""
    return dg.MonthlyPartitionsDefinition(start_date=f"{first_month}-01", end_offset=1)
