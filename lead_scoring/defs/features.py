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

from lead_scoring.defs.partitions import scoring_as_of
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


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=FeatureTranslator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build", *dbt_vars(context)], context=context).stream()


defs = dg.Definitions(assets=[dbt_models])
