"""Ingestion: each landing day's Parquet files become rows of the warehouse's raw schema."""


from datetime import date

import dagster as dg

from lead_scoring import ingest
from lead_scoring.quality import quarantine
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


QUARANTINE_CHECK = "quarantined_share_within_limit"
CONTRACT_CHECK = "source_contract"


def _days(context: dg.AssetExecutionContext) -> list[date]:
    return [date.fromisoformat(key) for key in context.partition_keys]


class IngestionConfig(dg.Config):
    max_quarantined_share: float = quarantine.DEFAULT_MAX_SHARE


@dg.multi_asset(
    specs=RAW_SPECS,
    check_specs=[
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=spec.key,
            blocking=True,
            description="Every landed file of the run reads as Parquet and has the contract's columns and types "
            "(a renamed, dropped or retyped column fails here, before anything is loaded).",
        )
        for spec in RAW_SPECS
    ]
    + [
        dg.AssetCheckSpec(
            QUARANTINE_CHECK,
            asset=spec.key,
            blocking=True,
            description="Rows quarantined at ingestion (unknown lead, unparseable timestamp, negative amount, "
            "missing key) stay under the configured share of the landed rows.",
        )
        for spec in RAW_SPECS
    ],
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def raw_tables(
    context: dg.AssetExecutionContext, config: IngestionConfig, warehouse: WarehouseResource, landing: LandingResource
):
    """Load the landing days of this run (one day, or a range in a backfill) into ``raw``.

    Leads load first: the other tables' rows are checked against the known leads.
    """
    days = _days(context)
    selected = {key.path[-1] for key in context.selected_asset_keys}
    problems = ingest.preflight(landing.landing_dir, list(RAW_TABLES), days)  # before anything is written
    for table in RAW_TABLES:
        key = dg.AssetKey([ingest.RAW_SCHEMA, table])
        if table in selected and dg.AssetCheckKey(key, CONTRACT_CHECK) in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=CONTRACT_CHECK,
                passed=not problems[table],
                severity=dg.AssetCheckSeverity.ERROR,
                description="; ".join(problems[table]) or None,
                metadata={"files_checked": len(days)},
            )
    if any(problems.values()):
        raise dg.Failure(
            description="landing files break the source contract, nothing was loaded: "
            + "; ".join(p for found in problems.values() for p in found)
        )
    for table in [t for t in RAW_TABLES if t in selected]:
        report = ingest.load_table_days(warehouse.get(), landing.landing_dir, table, days)
        share = report.quarantined / report.landed if report.landed else 0.0
        context.log.info(
            f"raw.{table}: {report.landed} rows landed = {report.loaded} loaded + {report.quarantined} quarantined "
            f"over {len(days)} day(s)"
        )
        key = dg.AssetKey([ingest.RAW_SCHEMA, table])
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": report.loaded,
                "rows_landed": report.landed,
                "rows_loaded": report.loaded,
                "rows_quarantined": report.quarantined,
                "landing_days": len(days),
            },
        )
        if dg.AssetCheckKey(key, QUARANTINE_CHECK) not in context.selected_asset_check_keys:
            continue
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=QUARANTINE_CHECK,
            passed=share <= config.max_quarantined_share,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{report.quarantined} of {report.landed} rows of raw.{table} ({share:.1%}) went to "
                f"quarantine.{table}; the limit is {config.max_quarantined_share:.0%}"
            ),
            metadata={"quarantined_share": share, "reasons": dg.MetadataValue.json(report.reasons or {})},
        )


@dg.asset(
    key=[ingest.GROUND_TRUTH, GROUND_TRUTH_TABLE],
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
