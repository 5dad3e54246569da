"""Where everything lives, read from the environment once.

All state sits under one home folder (``LEAD_SCORING_HOME``, default
``.lead_scoring/`` in the project folder, git-ignored): the DuckDB warehouse,
the landing and ground-truth folders, the MLflow store and the Dagster home.
Each location can be overridden on its own by the variables below; nothing
else hard-codes a path, and no password is written anywhere but the environment.

| variable | default |
|---|---|
| LEAD_SCORING_HOME | <project>/.lead_scoring |
| LEAD_SCORING_WAREHOUSE_URL | unset: the DuckDB file below; `postgresql://user:pw@host:port/db` = Postgres |
| LEAD_SCORING_WAREHOUSE_PATH | $LEAD_SCORING_HOME/warehouse.duckdb |
| LEAD_SCORING_DBT_TARGET | dev (DuckDB file), prod when the warehouse URL is Postgres |
| MLFLOW_TRACKING_URI | sqlite:///$LEAD_SCORING_HOME/mlflow/mlflow.db |
| LEAD_SCORING_MLFLOW_ARTIFACTS | $LEAD_SCORING_HOME/mlflow/artifacts |
| DAGSTER_HOME | $LEAD_SCORING_HOME/dagster |
| LEAD_SCORING_START_DATE | first day of the landed simulation, else 2026-01-01 |
| LEAD_SCORING_PG_WORK_MEM | 256MB: Postgres work_mem of dbt's sessions (via PGOPTIONS) |
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from lead_scoring.simulator import landing
from lead_scoring.warehouse import Warehouse, is_postgres_url

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
REGISTERED_MODEL = "lead_scoring"
EXPERIMENT = "lead_scoring"
DEFAULT_START_DATE = date(2026, 1, 1)


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_path: Path
    dbt_target: str
    mlflow_tracking_uri: str
    mlflow_artifacts: Path
    dagster_home: Path
    # A Postgres URL when the warehouse is Postgres; empty = the DuckDB file at warehouse_path.
    warehouse_url: str = ""

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        home = Path(env.get("LEAD_SCORING_HOME") or PROJECT_DIR / ".lead_scoring").resolve()
        warehouse_path = Path(env.get("LEAD_SCORING_WAREHOUSE_PATH") or home / "warehouse.duckdb")
        warehouse_url = env.get("LEAD_SCORING_WAREHOUSE_URL", "")
        return cls(
            home=home,
            warehouse_path=warehouse_path,
            warehouse_url=warehouse_url,
            dbt_target=env.get("LEAD_SCORING_DBT_TARGET") or ("prod" if is_postgres_url(warehouse_url) else "dev"),
            mlflow_tracking_uri=env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow' / 'mlflow.db'}",
            mlflow_artifacts=Path(env.get("LEAD_SCORING_MLFLOW_ARTIFACTS") or home / "mlflow" / "artifacts"),
            dagster_home=Path(env.get("DAGSTER_HOME") or home / "dagster"),
        )

    def warehouse(self) -> Warehouse:
        """The configured warehouse: the DuckDB file, or Postgres when LEAD_SCORING_WAREHOUSE_URL says so."""
        return Warehouse(self.warehouse_url or self.warehouse_path)

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def ground_truth_dir(self) -> Path:
        return self.home / "ground_truth"

    @property
    def flat_dir(self) -> Path:
        """Where `lead-scoring import` keeps the imported export's record and generated dbt project."""
        return self.home / "flat"

    @property
    def flat_source_file(self) -> Path:
        return self.flat_dir / "source.json"

    @property
    def dbt_project_dir(self) -> Path:
        """The dbt project of this home's source: the repo's (simulated CRM) or the one generated for a flat export."""
        return self.flat_dir / "dbt" if self.flat_source_file.exists() else DBT_PROJECT_DIR

    @property
    def dbt_manifest_path(self) -> Path:
        return self.dbt_project_dir / "target" / "manifest.json"

    def history_start(self) -> date:
        """First partition of the daily assets."""
        if os.environ.get("LEAD_SCORING_START_DATE"):
            return date.fromisoformat(os.environ["LEAD_SCORING_START_DATE"])
        started = landing.read_manifest(self.landing_dir).get("start_date")
        return date.fromisoformat(started) if started else DEFAULT_START_DATE

    def export(self) -> None:
        """Put the resolved locations into the environment, for dbt and Dagster subprocesses."""
        os.environ["LEAD_SCORING_HOME"] = str(self.home)
        os.environ["LEAD_SCORING_WAREHOUSE_PATH"] = str(self.warehouse_path)
        if self.warehouse_url:
            os.environ["LEAD_SCORING_WAREHOUSE_URL"] = self.warehouse_url
        else:
            os.environ.pop("LEAD_SCORING_WAREHOUSE_URL", None)
        os.environ.update(dbt_connection_env(self.warehouse_url))
        os.environ["LEAD_SCORING_DBT_TARGET"] = self.dbt_target
        os.environ["MLFLOW_TRACKING_URI"] = self.mlflow_tracking_uri
        os.environ["LEAD_SCORING_MLFLOW_ARTIFACTS"] = str(self.mlflow_artifacts)
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)


@contextlib.contextmanager
def environment(overrides: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``overrides`` inside the block, as it was after (dbt reads its settings from it)."""
    previous = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_connection_env(warehouse_url: str) -> dict[str, str]:
    """The variables dbt's `prod` profile reads, taken apart from the Postgres URL (empty for DuckDB).

    One source of truth: users set the URL once; dbt gets host, port, user,
    password and database from it through the environment, never from a file.
    """
    if not is_postgres_url(warehouse_url):
        return {}
    parts = urlsplit(warehouse_url)
    return {
        "LEAD_SCORING_PG_HOST": parts.hostname or "127.0.0.1",
        "LEAD_SCORING_PG_PORT": str(parts.port or 5432),
        "LEAD_SCORING_PG_USER": unquote(parts.username or "postgres"),
        "LEAD_SCORING_PG_PASSWORD": unquote(parts.password or ""),
        "LEAD_SCORING_PG_DBNAME": parts.path.lstrip("/") or "postgres",
        # The feature models and tests hash and sort millions of rows: with Postgres' default 4 MB per
        # operation they spill gigabytes to temporary files. PGOPTIONS, if set, wins.
        "PGOPTIONS": os.environ.get("PGOPTIONS") or f"-c work_mem={os.environ.get('LEAD_SCORING_PG_WORK_MEM', '256MB')}",
    }
