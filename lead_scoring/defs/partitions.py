"""The daily partitions shared by ingestion and scoring.

Partition D is the landing day D: its data covers D, and the scores computed
from it are as of D + 1 at 00:00 (every event of D is known by then).
"""


from datetime import date, timedelta

import dagster as dg

from lead_scoring.settings import Settings


def daily(settings: Settings) -> dg.DailyPartitionsDefinition:
    """The daily partitions of the home: from its first landed day (or LEAD_SCORING_START_DATE)."""
    return dg.DailyPartitionsDefinition(start_date=settings.history_start().isoformat())


# Runs that write to the warehouse carry this tag; the local dagster.yaml allows one such run
# at a time (DuckDB takes one writing process). Runs that also run `dbt build` carry the second
# one; the production dagster.yaml allows one of those at a time (dbt rebuilds shared tables).
WAREHOUSE_WRITER_TAG = {"lead_scoring/warehouse": "writer"}
DBT_BUILD_TAG = {"lead_scoring/dbt": "build"}
# Set by the monitoring sensors on the retrain runs they request: which signal, and why.
TRIGGER_TAG = "lead_scoring/trigger"
REASON_TAG = "lead_scoring/trigger_reason"


def scoring_as_of(partition_key: str) -> date:
    return date.fromisoformat(partition_key) + timedelta(days=1)
