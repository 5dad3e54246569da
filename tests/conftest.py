"""Shared fixtures. The end-to-end demo runs once per session, in a temporary home, as a user would run it."""

import json
from datetime import date, timedelta
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lead_scoring.settings import Settings

BIN = Path(sys.executable).parent
# Ends ten days ago, so that fault-injection tests can land later days into valid partitions.
SMALL_DEMO = ["--days", "65", "--leads-per-day", "60", "--seed", "7", "--end-date", str(date.today() - timedelta(days=10))]


HOME_VARIABLES = ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "LEAD_SCORING_WAREHOUSE_PATH", "LEAD_SCORING_WAREHOUSE_URL",
                  "LEAD_SCORING_DBT_TARGET", "LEAD_SCORING_MLFLOW_ARTIFACTS")


def home_env(home: Path) -> dict[str, str]:
    # Everything a home sets points at one home: none of it may leak into another
    # (a `--reset` with a leaked LEAD_SCORING_MLFLOW_ARTIFACTS would wipe the demo home's MLflow store).
    env = {k: v for k, v in os.environ.items() if k not in HOME_VARIABLES and not k.startswith("LEAD_SCORING_PG_")}
    env["LEAD_SCORING_HOME"] = str(home)
    return env


def run_cli(args: list[str], home: Path, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "lead-scoring"), *args], env=home_env(home), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"lead-scoring {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo_home")
    result = run_cli(["demo", *SMALL_DEMO], home)
    (home / "demo_stdout.txt").write_text(result.stdout)
    return home


@pytest.fixture(scope="session")
def demo_settings(demo_home) -> Settings:
    os.environ["LEAD_SCORING_HOME"] = str(demo_home)  # session-wide: in-process reruns read the same home
    for variable in ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "LEAD_SCORING_WAREHOUSE_PATH", "LEAD_SCORING_WAREHOUSE_URL", "LEAD_SCORING_DBT_TARGET"):
        os.environ.pop(variable, None)
    settings = Settings.from_env()
    return settings


@pytest.fixture(scope="session")
def demo_status(demo_home) -> dict:
    return json.loads(run_cli(["status", "--json"], demo_home).stdout)
