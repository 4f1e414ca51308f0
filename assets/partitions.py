"""Monthly partitions, and the single-run backfill policy of the partitioned assets.

``backfill_policy`` is a Dagster beta parameter that OpenSPM uses on purpose (a range of
months is one run); Dagster's warning about it at every import is not news for a user, so it
is silenced here, where the policy is defined, for that parameter only.
"""

from __future__ import annotations

import warnings

import dagster as dg

from openspm.periods import partitions_start

warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

# Keyed YYYY-MM-01, from $OPENSPM_PARTITIONS_START (default 2020-01) through the current month
# (end_offset=1: the open month can be drafted). A run of one partition or of a range computes
# drafts through its last month (assets.run_tags.through_period).
MONTHLY_PARTITIONS = dg.MonthlyPartitionsDefinition(
    start_date=f"{partitions_start()}-01", end_offset=1
)
SINGLE_RUN = dg.BackfillPolicy.single_run()  # a range of months is computed in one run
