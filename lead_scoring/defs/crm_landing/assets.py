"""Mapped CRM source: the `crm_landing` job lands a CRM's new deliveries as the home's landing days.

The same work as `lead-scoring land --mapping FILE --no-run`, all or nothing: a delivery
that cannot be read or conformed fails the run, and nothing of it lands. The landed days
are the `ingestion` and `daily_scoring` partitions from then on: the `daily_scoring`
schedule scores each, or launch the partitions the run's metadata names.
"""

import dagster as dg
from pydantic import Field

from lead_scoring.defs.partitions import WAREHOUSE_WRITER_TAG
from lead_scoring.settings import Settings
from lead_scoring.steps.crm_landing import land_source


class CrmLandingConfig(dg.Config):
    mapping: str = Field(description="the source mapping YAML file (e.g. examples/mappings/crm_hubspot_style.yml)")
    root: str = Field(default="", description="the folder the mapping's relative paths start from; empty = the mapping's folder")


@dg.asset(
    key=["landing", "crm_deliveries"],
    group_name="crm_landing",
    kinds={"python", "csv", "parquet"},
    description="A CRM's deliveries (files, daily folders or synced warehouse tables) conformed by its source mapping to "
    "the raw contract and written as landing days; what could not be read or mapped is counted per column.",
)
def crm_deliveries(context: dg.AssetExecutionContext, config: CrmLandingConfig, settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
    report = land_source(settings, config.mapping, root=config.root or None)
    context.log.info(report.render())
    found = {table: lines for table, result in report.findings.items() if (lines := result.lines())}
    return dg.MaterializeResult(metadata={
        "source": report.source,
        "landed_days": ", ".join(map(str, report.landed_days)) or "none new",
        "complete_days": ", ".join(map(str, report.complete_days)) or "none new",  # every table in: ready to ingest and score
        "rows": dg.MetadataValue.json(report.rows),
        "not_taken_as_delivered": dg.MetadataValue.json(found),
        "unparsed_lines": dg.MetadataValue.json(report.unparsed),
        "next": "the daily_scoring schedule scores each complete day; or launch its partitions for these days",
    })


crm_landing_job = dg.define_asset_job(
    "crm_landing",
    selection=dg.AssetSelection.assets(crm_deliveries),
    tags=WAREHOUSE_WRITER_TAG,  # a synced table is read from the warehouse: DuckDB takes one process at a time
    description="Land a CRM's new deliveries by its source mapping (run config: mapping, root).",
)

defs = dg.Definitions(assets=[crm_deliveries], jobs=[crm_landing_job])
