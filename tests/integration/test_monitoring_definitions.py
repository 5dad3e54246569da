"""Monitoring in the code location: where its assets sit, which job runs them, what loads at import."""

import subprocess
import sys

import dagster as dg

from lead_scoring.definitions import defs

MONITORING = {"monitoring/source_freshness", "monitoring/feature_drift", "monitoring/prediction_drift", "monitoring/live_performance"}


def test_daily_job_monitors_and_a_stale_source_stands_before_the_scores():
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey(["monitoring", "source_freshness"]) in graph.get(dg.AssetKey("lead_scores")).parent_keys
    assert dg.AssetCheckKey(dg.AssetKey(["monitoring", "source_freshness"]), "sources_are_fresh") in graph.asset_check_keys
    daily = {k.to_user_string() for k in defs.resolve_job_def("daily_scoring").asset_layer.selected_asset_keys}
    retrain = {k.to_user_string() for k in defs.resolve_job_def("retrain").asset_layer.selected_asset_keys}
    assert MONITORING <= daily and "monitoring/champion_reference" in retrain and not MONITORING & retrain
    assert {spec.group_name for spec in defs.resolve_all_asset_specs() if spec.key.to_user_string() in MONITORING} == {"monitoring"}


def test_sensors_are_defined_and_off_until_switched_on():
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {"retrain_on_drift", "retrain_on_stale_model", "stale_data_alert", "run_failure_alert"}
    assert sensors["retrain_on_drift"].job_name == "retrain" and sensors["retrain_on_stale_model"].job_name == "retrain"
    assert {s.default_status for s in sensors.values()} == {dg.DefaultSensorStatus.STOPPED}


def test_scipy_is_not_imported_with_the_code_location():
    code = "import sys, lead_scoring.definitions; print('scipy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
