"""Minimum quality on the default simulated history (120 days x 250 leads/day, seed 7), through real dbt.

The model must beat the rules baseline and come within 0.05 ROC AUC of the
Bayes limit (the true probabilities, known because the data is simulated), on
the same test rows.
"""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from lead_scoring.steps import ingest, training as training_steps
from lead_scoring.ml import training
from lead_scoring.settings import DBT_PROJECT_DIR, Settings
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Warehouse

pytestmark = pytest.mark.integration
DAYS, LEADS_PER_DAY, SEED = 120, 250, 7  # the demo's defaults


@pytest.fixture(scope="module")
def default_history(tmp_path_factory):
    home = tmp_path_factory.mktemp("quality")
    settings = Settings(home, home / "warehouse.duckdb", "dev", f"sqlite:///{home / 'mlflow.db'}", home / "artifacts", home / "dagster")
    end = date.today() - timedelta(days=1)
    days = [end - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    simulate(settings.landing_dir, settings.ground_truth_dir, days[0], DAYS, LEADS_PER_DAY, SEED)
    warehouse = Warehouse(settings.warehouse_path)
    ingest.load_days(warehouse, settings.landing_dir, days)
    ingest.load_ground_truth(warehouse, settings.ground_truth_dir, days)
    command = [str(Path(sys.executable).parent / "dbt"), "run", "--select", "+lead_snapshots", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(home / "dbt_target"), "--quiet"]
    env = {**os.environ, "LEAD_SCORING_WAREHOUSE_PATH": str(settings.warehouse_path)}
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    frame, _, _ = training_steps.build_training_set(warehouse, settings)
    truth = warehouse.query("select lead_id, created_at, p_convert from ground_truth.lead_propensity")
    return frame, truth, training_steps.feature_list(settings)


def test_model_beats_the_baseline_and_nears_the_bayes_limit(default_history):
    frame, truth, features = default_history
    outcome = training.train_and_evaluate(frame, features, seed=SEED, truth=truth)
    metrics = outcome.logged_metrics()
    assert metrics["test_roc_auc"] > metrics["baseline_test_roc_auc"]
    assert metrics["bayes_gap_test_roc_auc"] < 0.05, metrics
