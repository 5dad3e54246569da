"""Minimum quality on the default simulated history (120 days x 250 leads/day, seed 7), through real dbt.

The model must beat the rules baseline and come within 0.05 ROC AUC of the
Bayes limit (the true probabilities, known because the data is simulated), on
the same test rows.
"""

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from lead_scoring.steps import ingest, training as training_steps
from lead_scoring.ml import training
from lead_scoring.policies import TrainingSetPolicy
from lead_scoring.settings import DBT_PROJECT_DIR, Settings
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Warehouse

pytestmark = pytest.mark.integration
DAYS, LEADS_PER_DAY, SEED = 120, 250, 7  # the demo's defaults


@pytest.fixture(scope="module")
def built_history(tmp_path_factory):
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
    return settings, warehouse


@pytest.fixture(scope="module")
def default_history(built_history):
    settings, warehouse = built_history
    frame = training_steps.build_training_set(warehouse, settings).frame
    truth = warehouse.query("select lead_id, created_at, p_convert from ground_truth.lead_propensity")
    return frame, truth, training_steps.feature_list(settings)


def test_model_beats_the_baseline_and_nears_the_bayes_limit(default_history):
    frame, truth, features = default_history
    outcome = training.train_and_evaluate(frame, features, seed=SEED, truth=truth)
    metrics = outcome.logged_metrics()
    assert metrics["test_roc_auc"] > metrics["baseline_test_roc_auc"]
    assert metrics["bayes_gap_test_roc_auc"] < 0.05, metrics


def test_a_history_of_more_snapshots_than_the_policy_allows_trains_on_a_sample(built_history, default_history):
    settings, warehouse = built_history
    whole, truth, features = default_history
    bounded = replace(settings, policies=replace(settings.policies, training_set=TrainingSetPolicy(max_rows=20_000)))
    built = training_steps.build_training_set(warehouse, bounded)
    sampled = built.frame
    mature = warehouse.query("select lead_id, as_of_date from marts.lead_snapshots where label_is_mature")
    assert built.sample.sampled and built.sample.rows == len(mature) > len(whole)
    # the snapshots below the hash bound and nothing else, less the repeated rows the split drops
    bound = int(built.sample.share * 16**8)
    keys = mature["lead_id"] + "/" + (pd.to_datetime(mature["as_of_date"]) - pd.Timestamp("1970-01-01")).dt.days.astype(str)
    below = keys.map(lambda key: int(hashlib.md5(key.encode()).hexdigest()[:8], 16) < bound)
    assert below.sum() == len(sampled) + sum(built.dropped.values())
    assert 18_000 < len(sampled) < 20_500
    assert sampled["lead_id"].nunique() > 2 * built.sample.share * whole["lead_id"].nunique()  # spread over the leads
    outcome = training.train_and_evaluate(sampled, features, seed=SEED, truth=truth)
    assert outcome.metrics["roc_auc"] > outcome.baseline_metrics["roc_auc"]
    training_steps.build_training_set(warehouse, settings)  # the module's other tests read the whole history
