"""Features: the dbt project (staging -> intermediate -> marts) as Dagster assets.

dbt tests appear as asset checks. A run for a daily partition builds the
serving features as of the day after that partition, so re-running an old day
reproduces that day's scores.
"""


import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from lead_scoring.defs import catalog
from lead_scoring.defs.partitions import scoring_as_of
from lead_scoring.resources import WarehouseResource
from lead_scoring.settings import DBT_PROJECT_DIR, Settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target=Settings.from_env().dbt_target)


class FeatureTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "features"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:growth-analytics"]


def dbt_vars(context: dg.AssetExecutionContext) -> list[str]:
    """``--vars`` pinning the scoring date when the run is for a daily partition."""
    partition = context.run.tags.get("dagster/partition")
    if not partition:
        return []
    return ["--vars", json.dumps({"as_of_date": scoring_as_of(partition).isoformat()})]


def _failed_error_checks(events: list) -> list:
    return [
        e
        for e in events
        if isinstance(e, (dg.AssetCheckResult, dg.AssetCheckEvaluation))
        and not e.passed
        and e.severity == dg.AssetCheckSeverity.ERROR
    ]


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=FeatureTranslator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build`; a model whose error-severity test fails is not reported as materialised.

    dbt tests surface as asset checks, but a failed check alone does not stop the
    Python assets downstream in the same run. Withholding the model's output does:
    training and scoring are skipped, and the step fails naming the tests.
    """
    with warehouse.exported_for_dbt():
        invocation = dbt.cli(["build", *dbt_vars(context)], context=context, raise_on_error=False)
        events = list(invocation.stream())
    failed = _failed_error_checks(events)
    blocked = {e.asset_key for e in failed}
    for event in events:
        if isinstance(event, dg.Output):
            key = context.asset_key_for_output(event.output_name)
            if key in blocked:
                continue
            event = event.with_metadata({**event.metadata, **catalog.row_count(warehouse.get(), key)})
        yield event
    if failed:
        names = ", ".join(f"{e.asset_key.to_user_string()}:{e.check_name}" for e in failed)
        raise dg.Failure(
            description=f"{len(failed)} dbt test(s) failed, downstream assets not run: {names}",
            metadata={"failed_tests": names},
        )
    if not invocation.is_successful():
        raise dg.Failure(description=f"dbt build failed: {invocation.get_error()}")


defs = dg.Definitions(assets=[dbt_models])
