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
from pydantic import Field

from lead_scoring.platform import dbt_in_process
from lead_scoring.settings import dbt_connection_env, environment
from lead_scoring.warehouse import Warehouse, is_postgres_url
from lead_scoring.warehouse.limits import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, DuckDbLimits

ENVIRONMENT_DBT = str(Path(sys.executable).parent / "dbt")


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse: a DuckDB file on one machine, or a Postgres URL (its password from the environment)."""

    location: str
    # Postgres session options of dbt's connections (Settings.pg_options: work_mem, or the user's PGOPTIONS).
    pg_options: str = ""
    # DuckDB's memory limit, threads and spill folder (Settings.duckdb_limits); empty folder: beside the warehouse file.
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT
    duckdb_threads: int = DEFAULT_THREADS
    duckdb_temp_directory: str = ""

    def get(self) -> Warehouse:
        if is_postgres_url(self.location):
            return Warehouse(self.location)
        return Warehouse(Path(self.location), self._duckdb_limits())

    def _duckdb_limits(self) -> DuckDbLimits:
        return DuckDbLimits(temp_directory=self.duckdb_temp_directory or f"{self.location}.tmp",
                            memory_limit=self.duckdb_memory_limit, threads=self.duckdb_threads)

    def exported_for_dbt(self, **extra: str) -> ContextManager[None]:
        """dbt's profile reads the warehouse from the environment: point it at this resource's (plus ``extra`` variables)."""
        connection = dbt_connection_env(self.location, self.pg_options) or {
            "LEAD_SCORING_WAREHOUSE_PATH": self.location, **self._duckdb_limits().environment()}
        return environment({**connection, **extra})


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


class GreatExpectationsResource(dg.ConfigurableResource):
    """The Great Expectations project (``expectations/``); results and Data Docs go to ``runtime_home``."""

    runtime_home: str

    def project(self):
        from lead_scoring.quality.gx_project import GxProject  # GX takes ~2.5 s to import: at run time only

        return GxProject(Path(self.runtime_home))


class ProjectDbtResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource running the dbt of this environment; by default in this process.

    ``in_process=True`` (the default; ``LEAD_SCORING_DBT_IN_PROCESS``) saves three start-up
    costs per run, each through a dagster-dbt or dbt internal (``docs/platform.md``):

    - dagster-dbt asks the dbt executable for its version (``dbt --version``, a second
      dbt start-up that also looks up the latest release online: 1.4 s); here it is the
      installed dbt-core's (override of the private ``_cli_version``);
    - it loads the project's macros into an adapter in this process (0.9 s) that only
      ``fetch_row_counts`` / ``fetch_column_metadata`` use, and this project uses neither
      (override of the private ``_initialize_dbt_core_adapter``);
    - dbt itself runs in a thread of this process (``dbt_in_process``), not a subprocess.

    ``in_process=False`` is the stock ``DbtCliResource``: none of the three, dbt as a
    subprocess. Either way the executable defaults to the dbt beside this interpreter,
    also when the venv is not on PATH (e.g. ``.venv/bin/dagster dev``); any other
    executable (a dbt Fusion binary, say) always takes the stock path.
    """

    in_process: bool = Field(
        default=True,
        description="Run this environment's dbt in the Dagster process (dbt's dbtRunner) instead of as a subprocess.",
    )

    def __init__(self, **config):
        super().__init__(**{"dbt_executable": ENVIRONMENT_DBT, **config})

    @property
    def runs_in_process(self) -> bool:
        """Whether this resource's commands take the in-process path (the switch on, and this environment's dbt)."""
        return self.in_process and self.dbt_executable == ENVIRONMENT_DBT

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.runs_in_process:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        if self.runs_in_process:
            return None
        return super()._initialize_dbt_core_adapter(args)

    def cli(self, args, *, raise_on_error=True, manifest=None, dagster_dbt_translator=None, context=None, target_path=None):
        """This environment's dbt runs in this process (``dbt_in_process``) unless switched off; else dagster-dbt's subprocess."""
        if not self.runs_in_process:
            return super().cli(args, raise_on_error=raise_on_error, manifest=manifest,
                               dagster_dbt_translator=dagster_dbt_translator, context=context, target_path=target_path)

        return dbt_in_process.invocation(self, args, raise_on_error, manifest, dagster_dbt_translator, context, target_path)
