"""Dagster resources: thin handles on the warehouse, the landing folders, MLflow and dbt."""

from __future__ import annotations

import importlib.metadata
import sys
from functools import cached_property
from pathlib import Path
from typing import ContextManager

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from lead_scoring.settings import dbt_connection_env, environment
from lead_scoring.warehouse import Warehouse, is_postgres_url

ENVIRONMENT_DBT = str(Path(sys.executable).parent / "dbt")


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse: a DuckDB file on one machine, or a Postgres URL (its password from the environment)."""

    location: str

    def get(self) -> Warehouse:
        return Warehouse(self.location if is_postgres_url(self.location) else Path(self.location))

    def exported_for_dbt(self, **extra: str) -> ContextManager[None]:
        """dbt's profile reads the warehouse from the environment: point it at this resource's (plus ``extra`` variables)."""
        return environment({**(dbt_connection_env(self.location) or {"LEAD_SCORING_WAREHOUSE_PATH": self.location}), **extra})


class LandingResource(dg.ConfigurableResource):
    """Where the CRM sync lands daily Parquet files, and where the simulator keeps its truth."""

    landing_dir: str
    ground_truth_dir: str


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking store and model registry."""

    tracking_uri: str
    artifacts_dir: str

    def client(self):
        """An ``MlflowClient`` on this store (MLflow is imported here, at run time, not at load time)."""
        from lead_scoring.ml import registry

        return registry.connect(self.tracking_uri, Path(self.artifacts_dir))

    def ui_url(self) -> str:
        from lead_scoring.defs.catalog import mlflow_ui_url

        return mlflow_ui_url(self.tracking_uri)


class GreatExpectationsResource(dg.ConfigurableResource):
    """The Great Expectations project (``expectations/``); results and Data Docs go to ``runtime_home``."""

    runtime_home: str

    def project(self):
        from lead_scoring.quality.gx_project import GxProject  # GX takes ~2.5 s to import: at run time only

        return GxProject(Path(self.runtime_home))


class ProjectDbtResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, by default running the dbt of this environment, without two start-up costs per run.

    On every run dagster-dbt asked the dbt executable for its version (``dbt --version``,
    a second dbt start-up that also looks up the latest release online: 1.4 s) and
    loaded the project's macros into an adapter in this process (0.9 s) that only
    ``fetch_row_counts`` / ``fetch_column_metadata`` use; this project uses neither.
    The version of this environment's dbt is the installed dbt-core's.
    """

    def __init__(self, **config):
        # The dbt beside this interpreter, also when the venv is not on PATH (e.g. `.venv/bin/dagster dev`).
        super().__init__(**{"dbt_executable": ENVIRONMENT_DBT, **config})

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable == ENVIRONMENT_DBT:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None

    def cli(self, args, *, raise_on_error=True, manifest=None, dagster_dbt_translator=None, context=None, target_path=None):
        """This environment's dbt runs in this process (``dbt_in_process``); any other dbt executable as a subprocess."""
        if self.dbt_executable != ENVIRONMENT_DBT:
            return super().cli(args, raise_on_error=raise_on_error, manifest=manifest,
                               dagster_dbt_translator=dagster_dbt_translator, context=context, target_path=target_path)
        from lead_scoring import dbt_in_process

        return dbt_in_process.invocation(self, args, raise_on_error, manifest, dagster_dbt_translator, context, target_path)
