"""Reporting: the feature catalog (dbt docs) and the weekly stakeholder report.

The report's figures, charts and HTML are built by ``lead_scoring.reporting``
(imported at run time: matplotlib and MLflow stay out of the code location's
import); this module reads the latest check results from the Dagster instance
(``platform.check_history``),
passes them on and reports where the files went.
"""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from lead_scoring.defs import catalog
from lead_scoring.defs.partitions import WAREHOUSE_WRITER_TAG
from lead_scoring.platform.check_history import latest_check_outcomes
from lead_scoring.platform.resources import MlflowResource, WarehouseResource
from lead_scoring.settings import Settings


@dg.asset(
    deps=[dg.AssetKey(["marts", "lead_snapshots"]), dg.AssetKey(["marts", "lead_features_current"])],
    group_name="reporting",
    kinds={"dbt"},
    description="The feature catalog: `dbt docs generate --static`, one self-contained page under "
    "`$LEAD_SCORING_HOME/dbt_docs/` with every model, column description, feature `meta` and the lineage.",
)
def feature_catalog(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]
) -> dg.MaterializeResult:
    target = Path(catalog.feature_catalog_path(settings)).parent
    with warehouse.exported_for_dbt():
        dbt.cli(["docs", "generate", "--static"], manifest=settings.dbt_manifest_path, target_path=target).wait()
    page = target / catalog.FEATURE_CATALOG_FILE
    context.log.info(f"feature catalog written to {page}")
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(page)), "size_kb": round(page.stat().st_size / 1024)})


weekly_report_job = dg.define_asset_job(
    "weekly_report",
    selection=dg.AssetSelection.groups("reporting"),
    # dbt docs opens the DuckDB file for writing: queue behind (and ahead of) the other writers.
    tags=WAREHOUSE_WRITER_TAG,
    description="Regenerate the feature catalog and the stakeholder report.",
)
weekly_report_schedule = dg.ScheduleDefinition(job=weekly_report_job, cron_schedule="0 6 * * 1", execution_timezone="UTC")


def build(check_keys: Sequence[dg.AssetCheckKey]) -> dg.Definitions:
    """The report reads the latest result of ``check_keys``: every check of the code location (``definitions.py``)."""

    @dg.asset(
        deps=[feature_catalog, dg.AssetKey("lead_scores"), dg.AssetKey("model_promotion")],
        group_name="reporting",
        kinds={"python", "mlflow", "html"},
        description="The weekly stakeholder report: one self-contained HTML page (charts inline) under "
        "`$LEAD_SCORING_HOME/reports/` (dated, plus `latest.html`), also logged to the MLflow experiment "
        "`lead_scoring_reports`. Headline, scores and grades, model card, performance on real outcomes, drift and "
        "data quality.",
    )
    def stakeholder_report(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]
    ) -> dg.MaterializeResult:
        from lead_scoring.reporting import build

        links = {"feature_catalog": Path(catalog.feature_catalog_path(settings)).as_uri()}
        data = build.gather(warehouse.get(), mlflow.client(), settings, latest_check_outcomes(context.instance, check_keys), links)
        if data.model is not None:
            data.links["champion_run"] = catalog.mlflow_run_url(settings, data.model.experiment_id, data.model.run_id)
            data.links["champion_version"] = catalog.model_version_url(settings, data.model.version)
        written = build.publish(data, settings)
        experiment_id, run_id = build.log_to_mlflow(written, settings)
        context.log.info(f"report written to {written.path} with {written.charts} charts, logged to MLflow run {run_id}")
        numbers = {k: v for k, v in written.headline.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(written.path)),
                "latest": dg.MetadataValue.path(str(written.latest)),
                "headline": dg.MetadataValue.md(written.markdown),
                "charts": written.charts,
                "mlflow_report_run": dg.MetadataValue.url(catalog.mlflow_run_url(settings, experiment_id, run_id)),
                **numbers,
            }
        )

    return dg.Definitions(assets=[feature_catalog, stakeholder_report], jobs=[weekly_report_job], schedules=[weekly_report_schedule])
