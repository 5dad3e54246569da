"""A warehouse whose raw schema holds simulated CRM days, for tests that run dbt on it."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from lead_scoring.platform.dbt_cli import PIPELINE_EXCLUDES
from lead_scoring.steps import ingest
from lead_scoring.settings import DBT_PROJECT_DIR, Settings, dbt_connection_env
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Warehouse


def simulated_warehouse(folder: Path, start: date, days: int, leads_per_day: int, seed: int, location: str = "") -> Warehouse:
    """Simulated days landed in ``folder`` and loaded into a DuckDB file there, or into the Postgres ``location``."""
    simulate(folder / "landing", folder / "truth", start, days, leads_per_day, seed=seed)
    wh = Warehouse(location or folder / "wh.duckdb")
    ingest.load_days(wh, folder / "landing", [start + timedelta(days=i) for i in range(days)])
    return wh


def dbt_env(wh: Warehouse) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEAD_SCORING_PG_", "LEAD_SCORING_WAREHOUSE_"))}
    if wh.engine == "postgres":
        return {**env, "LEAD_SCORING_DBT_TARGET": "prod", **dbt_connection_env(str(wh.location), Settings.pg_options)}
    return {**env, "LEAD_SCORING_DBT_TARGET": "dev", "LEAD_SCORING_WAREHOUSE_PATH": str(wh.path)}


def run_dbt(wh: Warehouse, target: Path, as_of: date, *args: str, project: Path = DBT_PROJECT_DIR,
            quiet: bool = True) -> subprocess.CompletedProcess:
    """`dbt build` as the pipeline runs it (or ``args``) of ``project`` (the repo's by default) on ``wh`` as of ``as_of``."""
    command = [str(Path(sys.executable).parent / "dbt"), *(args or ["build", *PIPELINE_EXCLUDES]), "--project-dir", str(project),
               "--profiles-dir", str(project), "--target-path", str(target), *(["--quiet"] if quiet else []),
               "--vars", json.dumps({"as_of_date": as_of.isoformat()})]
    return subprocess.run(command, env=dbt_env(wh), capture_output=True, text=True)


def dbt_build(wh: Warehouse, target: Path, as_of: date, *args: str) -> None:
    """:func:`run_dbt` of the repo's project; fails the test on a dbt error."""
    result = run_dbt(wh, target, as_of, *args)
    assert result.returncode == 0, result.stdout + result.stderr
