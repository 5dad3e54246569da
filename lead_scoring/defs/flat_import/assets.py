"""Flat export: the `flat_import` job loads a CRM export (one row per lead) with its mapping file.

The same work as `lead-scoring import PATH --mapping FILE --no-train`, all or nothing
(``flat.journal``): a failed parse or build leaves the previous import as it was. The import
generates the export's dbt project under the home folder and makes it the home's
source: reload the code location afterwards (Deployment > Reload) so the
features group shows the export's dbt models, then run `retrain`.
"""

import dagster as dg
from pydantic import Field

from lead_scoring.defs.partitions import WAREHOUSE_WRITER_TAG
from lead_scoring.flat import importer
from lead_scoring.platform.dbt_cli import dbt_build
from lead_scoring.settings import Settings
from lead_scoring.steps.flat_import import staged_import


class FlatImportConfig(dg.Config):
    mapping: str = Field(description="the mapping YAML file of the export (e.g. examples/mappings/x_education.yml)")
    path: str = Field(default="", description="the export file; empty = the mapping's `path`")


@dg.asset(
    key=["raw", "flat_export"],
    group_name="flat_import",
    kinds={"python", "duckdb", "csv"},
    description="A flat CRM export loaded by its mapping: raw.<name> (typed, normalised) and quarantine.<name> "
    "(rows that failed, with the reason); the leakage scan's finding; the export's generated dbt project.",
)
def flat_export(
    context: dg.AssetExecutionContext, config: FlatImportConfig, settings: dg.ResourceParam[Settings]
) -> dg.MaterializeResult:

    checked = importer.read_and_check(settings, config.mapping, config.path or None)
    with staged_import(settings, checked, context.log.info) as report:  # the import counts only once its dbt project builds
        dbt_build(settings)
    auc = sorted(report.leakage_auc.items(), key=lambda item: -item[1])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.loaded,
            "dagster/table_name": report.raw_table,
            "quarantined": report.quarantined,
            "quarantine_reasons": dg.MetadataValue.json(report.quarantine_reasons),
            "encoding": report.encoding,
            "features": len(report.features),
            "split_method": report.split_method,
            "leakage_flagged": ", ".join(report.leakage_flagged) or "none",
            "univariate_auc": dg.MetadataValue.md(
                "| column | ROC AUC alone (its values or whether it is filled in) |\n|---|---|\n"
                + "\n".join(f"| {n} | {v:.3f} |" for n, v in auc)
            ),
            "next": "reload the code location, then run the `retrain` job",
        }
    )


flat_import_job = dg.define_asset_job(
    "flat_import",
    selection=dg.AssetSelection.assets(flat_export),
    tags=WAREHOUSE_WRITER_TAG,
    description="Load a flat CRM export with its mapping (run config: mapping, path).",
)

defs = dg.Definitions(assets=[flat_export], jobs=[flat_import_job])
