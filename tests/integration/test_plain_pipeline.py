"""The whole pipeline runs without Dagster (the benchmark's baseline): the logic lives in plain modules."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "plain_pipeline.py"


def test_plain_pipeline_runs_every_stage(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "LEAD_SCORING_WAREHOUSE_PATH", "LEAD_SCORING_WAREHOUSE_URL", "LEAD_SCORING_DBT_TARGET")}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--home", str(tmp_path / "home"), "--days", "65", "--leads-per-day", "60", "--seed", "7"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    stages = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(stages) == {"simulate", "ingest", "retrain", "daily_scoring", "report"}
    from lead_scoring import tables
    from lead_scoring.warehouse import Warehouse

    warehouse = Warehouse(tmp_path / "home" / "warehouse.duckdb")
    for table in (tables.SOURCE_FRESHNESS, tables.FEATURE_DRIFT, tables.PREDICTION_DRIFT, tables.LIVE_PERFORMANCE, tables.RETRAINS):
        assert warehouse.table_exists(table), f"{table}: the plain pipeline skipped work the demo does"
    assert (tmp_path / "home" / "reports" / "latest.html").stat().st_size > 10_000
