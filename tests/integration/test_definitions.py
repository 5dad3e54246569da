"""The code location loads cheaply and shows one connected graph from raw data to scores."""

import subprocess
import sys

import dagster as dg

from lead_scoring.definitions import defs


def test_definitions_load_with_jobs_and_schedules():
    repo = defs.get_repository_def()
    assert {"ingestion", "retrain", "daily_scoring", "weekly_report"} <= {job.name for job in repo.get_all_jobs()}
    assert {s.job_name for s in repo.schedule_defs} == {"retrain", "daily_scoring", "weekly_report"}


def test_lineage_runs_from_raw_sources_through_dbt_and_training_to_scores():
    graph = defs.resolve_asset_graph()
    upstream = {key.to_user_string() for key in graph.get(dg.AssetKey("lead_scores")).parent_keys}
    assert {"marts/lead_features_current", "model_promotion"} <= upstream
    names = {k.to_user_string() for k in dg.AssetSelection.assets("lead_scores").upstream().resolve(graph)}
    for expected in ("raw/leads", "raw/activities", "staging/stg_leads", "intermediate/int_lead_daily_activity", "marts/lead_snapshots",
                     "training_set", "candidate_model", "model_promotion"):
        assert expected in names, expected


def test_dbt_tests_are_asset_checks():
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert any(name.startswith("unique_combination_of_columns_lead_snapshots") for name in checks)
    assert {"splits_are_disjoint", "labels_are_mature", "no_label_leakage", "no_withdrawn_consent", "features_are_beneficial",
            "features_within_cost_budget", "only_allowed_columns", "quarantined_share_within_limit"} <= checks


def test_importing_the_code_location_is_cheap():
    """No scikit-learn, MLflow or skops at import time, and no dbt parse (the manifest is not rewritten)."""
    code = (
        "import sys, lead_scoring.definitions;"
        "heavy = [m for m in ('sklearn', 'mlflow', 'skops', 'matplotlib') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_runs_launched_from_the_ui_execute_in_one_process():
    """Steps of one run must not write the DuckDB file from two processes at once."""
    for job in defs.get_repository_def().get_all_jobs():
        assert job.executor_def.name == "in_process", job.name
