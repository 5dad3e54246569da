"""Ingestion: each landing day's Parquet files become rows of the warehouse's raw schema."""


from datetime import date

import dagster as dg

from lead_scoring import ingest
from lead_scoring.defs.partitions import DAILY, WAREHOUSE_WRITER_TAG
from lead_scoring.resources import LandingResource, WarehouseResource
from lead_scoring.simulator.schema import GROUND_TRUTH_TABLE, RAW_TABLES

RAW_DESCRIPTIONS = {
    "leads": "New leads from the CRM, one row per lead, with contact details (PII stays in this schema).",
    "activities": "Marketing-automation events (page views, e-mail opens, demo requests...), one row per event.",
    "conversions": "Closed-won deals: when a lead became a customer and for how much.",
    "consents": "Consent changes: whether the lead allows processing for scoring.",
    "campaigns": "Marketing campaigns and their channels.",
}
RAW_SPECS = [
    dg.AssetSpec(
        key=[ingest.RAW_SCHEMA, table],
        description=RAW_DESCRIPTIONS[table],
        group_name="ingestion",
        kinds={"duckdb", "parquet"},
        owners=["team:data-platform"],
        metadata={"dagster/table_name": f"{ingest.RAW_SCHEMA}.{table}"},
    )
    for table in RAW_TABLES
]


def _days(context: dg.AssetExecutionContext) -> list[date]:
    return [date.fromisoformat(key) for key in context.partition_keys]


@dg.multi_asset(
    specs=RAW_SPECS,
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource):
    """Load the landing days of this run (one day, or a range in a backfill) into ``raw``."""
    days = _days(context)
    for table in RAW_TABLES:  # check every file before writing anything
        for day in days:
            ingest.require_landed(landing.landing_dir, table, day)
    for key in sorted(context.selected_asset_keys, key=lambda k: k.path[-1]):
        table = key.path[-1]
        rows = ingest.load_table_days(warehouse.get(), landing.landing_dir, ingest.RAW_SCHEMA, table, days)
        context.log.info(f"raw.{table}: {rows} rows from {len(days)} landing day(s)")
        yield dg.MaterializeResult(asset_key=key, metadata={"rows_loaded": rows, "landing_days": len(days)})


@dg.asset(
    key=[ingest.GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TABLE],
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="ingestion",
    kinds={"duckdb"},
    description=(
        "Simulator only: each lead's true conversion probability. No feature model reads it; "
        "evaluation uses it to report the best achievable ROC AUC (the Bayes limit)."
    ),
)
def ground_truth(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource):
    rows = ingest.load_ground_truth(warehouse.get(), landing.ground_truth_dir, _days(context))
    return dg.MaterializeResult(metadata={"rows_loaded": rows})


ingestion_job = dg.define_asset_job(
    "ingestion",
    selection=dg.AssetSelection.groups("ingestion"),
    partitions_def=DAILY,
    tags=WAREHOUSE_WRITER_TAG,
    description="Load landing days into the raw schema (use a range for a backfill).",
)

defs = dg.Definitions(assets=[raw_tables, ground_truth], jobs=[ingestion_job])
