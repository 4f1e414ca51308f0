"""The run tags OpenSPM's assets read: which months a run settles, and a forced full refresh.

The drivers (``pipelines.runner``, the CLI) and the schedules set them; the assets read them
from ``context.run.tags``. A partitioned run settles drafts through its partition's month (a
range: its last month) unless ``THROUGH_TAG`` is ``latest``.
"""

from __future__ import annotations

from collections.abc import Mapping

from openspm.periods import period_of_partition_key

# "latest" leaves through_period to dbt's default (the month of the latest credit).
THROUGH_TAG = "openspm/through"
# "true" rebuilds every dbt model from all raw data (`openspm run --full-refresh`).
FULL_REFRESH_TAG = "openspm/full_refresh"
PARTITION_TAG = "dagster/partition"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def through_period(tags: Mapping[str, str]) -> str | None:
    """The month a run settles drafts through (YYYY-MM), or None: the latest month with data."""
    key = tags.get(PARTITION_TAG) or tags.get(RANGE_END_TAG)
    if not key or tags.get(THROUGH_TAG) == "latest":
        return None
    return period_of_partition_key(key)


def full_refresh(tags: Mapping[str, str]) -> bool:
    """Whether the run rebuilds every dbt model from all raw data."""
    return tags.get(FULL_REFRESH_TAG) == "true"
