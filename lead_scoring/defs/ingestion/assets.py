"""Ingestion assets: each landing day's Parquet files become rows of the warehouse's raw schema.

Partitioned by landing day from the home's first day, so ``build(settings)`` makes them.
"""


from datetime import date

import dagster as dg

from lead_scoring.defs.check_results import blocking_result, gx_result
from lead_scoring.defs.ingestion import checks as load_checks
from lead_scoring.defs.partitions import WAREHOUSE_WRITER_TAG, daily
from lead_scoring.platform.resources import GreatExpectationsResource, LandingResource, WarehouseResource
from lead_scoring.quality import arrivals, validation
from lead_scoring.settings import Settings
from lead_scoring.simulator.schema import GROUND_TRUTH_TABLE, RAW_TABLES
from lead_scoring.steps import ingest
from lead_scoring.tables import LOAD_STATS

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
        metadata={"dagster/table_name": f"{ingest.RAW_SCHEMA}.{table}"},
    )
    for table in RAW_TABLES
]

# Written by raw_tables in the transaction of the rows it counts; dbt's incremental training snapshots read it (the
# `ingestion.load_stats` source) to find the landing days loaded since their last build.
LOAD_LOG = dg.AssetSpec(
    key=["ingestion", "load_stats"],
    deps=[spec.key for spec in RAW_SPECS],
    description="The ingestion's log: per raw table and landing day, the rows landed, loaded and quarantined, and "
                "when the day was last loaded (an emptied day included). Written with the raw rows by raw_tables.",
    group_name="ingestion",
    kinds={"duckdb"},
    metadata={"dagster/table_name": LOAD_STATS},
)


QUARANTINE_CHECK = load_checks.QUARANTINE_CHECK
CONTRACT_CHECK = "source_contract"
GX_CHECK = "great_expectations"
LATE_CHECK = load_checks.LATE_CHECK


def _days(context: dg.AssetExecutionContext) -> list[date]:
    return [date.fromisoformat(key) for key in context.partition_keys]


def _materializations(context: dg.AssetExecutionContext, reports: dict[str, ingest.LoadReport], n_days: int):
    for table, report in reports.items():
        context.log.info(
            f"raw.{table}: {report.landed} rows landed = {report.loaded} loaded + {report.quarantined} quarantined "
            f"over {n_days} day(s)"
        )
        yield dg.MaterializeResult(
            asset_key=_key(table),
            metadata={
                "dagster/row_count": report.loaded,
                "rows_landed": report.landed,
                "rows_loaded": report.loaded,
                "rows_quarantined": report.quarantined,
                "landing_days": n_days,
            },
        )


def _span(days: list[date]) -> str:
    return days[0].isoformat() if len(days) == 1 else f"{days[0]}..{days[-1]}"


def _key(table: str) -> dg.AssetKey:
    return load_checks.raw_key(table)


def _selected(context: dg.AssetExecutionContext, tables: list[str], check: str) -> list[str]:
    """The tables whose ``check`` this run evaluates (a subset run may leave some out)."""
    return [t for t in tables if dg.AssetCheckKey(_key(t), check) in context.selected_asset_check_keys]


def build(settings: Settings) -> dg.Definitions:
    partitions = daily(settings)
    max_share, late = settings.policies.quarantine.max_share, settings.policies.arrivals

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
                GX_CHECK,
                asset=spec.key,
                blocking=True,
                description="The source's Great Expectations suite on the rows about to be loaded: keys present and "
                "unique, accepted values, timestamps not in the future nor before the company existed, row count within "
                "the trailing band, no null burst. A failure loads nothing.",
            )
            for spec in RAW_SPECS
        ]
        + [
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=spec.key,
                blocking=True,
                description="Rows quarantined at ingestion (unknown lead, unparseable timestamp, negative amount, "
                f"missing key) stay under {max_share:.0%} of the landed rows (LEAD_SCORING_QUARANTINE_MAX_SHARE). Judged before the load: over the "
                "limit, nothing of the run's days is written.",
            )
            for spec in RAW_SPECS
        ]
        + [
            dg.AssetCheckSpec(
                LATE_CHECK,
                asset=_spec.key,
                blocking=False,
                description=f"Warns when more than {late.late_warn_share:.0%} of the landed rows record an event more "
                f"than {late.late_tolerance_days} day(s) before their landing day. Late rows are loaded: they count in "
                "features from their landing day on, and no past snapshot or training row sees them.",
            )
            for _spec in RAW_SPECS
            if _spec.key.path[-1] in arrivals.EVENT_TIME
        ],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=True,
    )
    def raw_tables(
        context: dg.AssetExecutionContext,
        landing_warehouse: WarehouseResource,
        landing: LandingResource,
        great_expectations: GreatExpectationsResource,
    ):
        """Load the landing days of this run (one day, or a range in a backfill) into ``raw``.

        Every gate judges the files or the prepared rows before anything is written:
        every file reads and meets its contract; every table's rows pass its Great
        Expectations suite and its quarantined share stays under the limit. Only
        then are all tables written, in one transaction, so a blocked day leaves
        nothing of itself in raw (and a re-landed day keeps its last good load).
        Leads go first: the other tables' rows are checked against the known leads.
        """
        days = _days(context)
        tables = [t for t in RAW_TABLES if _key(t) in context.selected_asset_keys]
        problems = ingest.preflight(landing.landing_dir, list(RAW_TABLES), days)
        for table in _selected(context, tables, CONTRACT_CHECK):
            yield blocking_result(not problems[table], "; ".join(problems[table]), _key(table), CONTRACT_CHECK, files_checked=len(days))
        if any(problems.values()):
            raise dg.Failure(description="landing files break the source contract, nothing was loaded: "
                             + "; ".join(p for found in problems.values() for p in found))

        with ingest.prepared_load(landing_warehouse.get(), landing.landing_dir, tables, days) as prepared:
            outcomes = validation.validate_load(great_expectations.project(), landing_warehouse.get(), prepared)
            for table in _selected(context, tables, GX_CHECK):
                yield gx_result([("landing " + _span(days), outcomes[table])], f"raw.{table}", _key(table), GX_CHECK)
            reports = {table: ingest.load_report(prepared, table) for table in prepared.tables}
            over = [t for t in prepared.tables if load_checks.share(reports[t]) > max_share]
            for table in _selected(context, tables, QUARANTINE_CHECK):
                yield load_checks.quarantine_result(table, reports[table], max_share)
            for table in _selected(context, [t for t in tables if t in arrivals.EVENT_TIME], LATE_CHECK):
                yield load_checks.late_result(table, arrivals.late_arrivals(table, ((day, prepared.valid(table, day)) for day in days), late))
            failed = [t for t in tables if not outcomes[t].success]
            if failed or over:
                raise dg.Failure(description=load_checks.blocked(failed, over, max_share))
            ingest.load_tables(landing_warehouse.get(), prepared)
            yield from _materializations(context, reports, len(days))


    @dg.asset(
        key=[ingest.GROUND_TRUTH, GROUND_TRUTH_TABLE],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="ingestion",
        kinds={"duckdb"},
        description=(
            "Simulator only: each lead's true conversion probability. No feature model reads it; "
            "evaluation uses it to report the best achievable ROC AUC (the Bayes limit). A mapped CRM source has none: 0 rows."
        ),
    )
    def ground_truth(context: dg.AssetExecutionContext, landing_warehouse: WarehouseResource, landing: LandingResource):
        mapped = ingest.mapped_source(landing.landing_dir)
        if mapped:  # a CRM's own data has no truth to compare with
            return dg.MaterializeResult(metadata={"rows_loaded": 0, "source": mapped, "note": "no ground truth: the source is not the simulator"})
        rows = ingest.load_ground_truth(landing_warehouse.get(), landing.ground_truth_dir, _days(context))
        return dg.MaterializeResult(metadata={"rows_loaded": rows})


    ingestion_job = dg.define_asset_job(
        "ingestion",
        selection=dg.AssetSelection.groups("ingestion"),
        partitions_def=partitions,
        tags=WAREHOUSE_WRITER_TAG,
        description="Load landing days into the raw schema (use a range for a backfill).",
    )

    return dg.Definitions(assets=[raw_tables, ground_truth, LOAD_LOG], jobs=[ingestion_job])
