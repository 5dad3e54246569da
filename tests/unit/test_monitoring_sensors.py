"""The sensors, evaluated with Dagster's sensor test utilities on a real DuckDB warehouse and a real instance."""

from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pytest

from lead_scoring import tables
from lead_scoring.defs.monitoring import sensors as monitoring
from lead_scoring.platform.resources import WarehouseResource
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Warehouse
from tests.webhook_server import webhook  # noqa: F401 (fixture)

TODAY = date(2026, 5, 20)


def _day(offset: int) -> date:
    return TODAY - timedelta(days=offset)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    """Monitoring tables for the 10 days up to TODAY: all fresh and quiet, champion trained 9 days ago."""
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    days = [_day(i) for i in range(10)]
    wh.overwrite(tables.SOURCE_FRESHNESS, pd.DataFrame({"as_of_date": days, "source": "activities", "last_landed_day": days,
                                                        "lag_days": 0, "max_lag_days": 0, "severity": "ok"}))
    wh.overwrite(tables.FEATURE_DRIFT, pd.DataFrame({"as_of_date": days, "feature": "lead_source", "severity": "ok"}))
    wh.overwrite(tables.RETRAINS, pd.DataFrame([{"dagster_run_id": "r1", "retrained_as_of": _day(9), "trigger": "schedule",
                                                 "challenger_version": "2", "champion_version": "2", "promoted": True,
                                                 "recorded_at": pd.Timestamp("2026-05-15")}]))
    return wh


def _set(wh: Warehouse, table: str, offsets: list[int], column: str = "severity", value: str = "error") -> None:
    with wh.connect() as con:
        con.execute(f"update {table} set {column} = ? where as_of_date in (select unnest(?))", [value, [_day(i) for i in offsets]])


def _evaluate(sensor, wh: Warehouse, instance, cursor=None):
    # Settings from the environment: the webhook fixture sets LEAD_SCORING_ALERT_WEBHOOK_URL.
    resources = {"warehouse": WarehouseResource(location=str(wh.path)), "settings": Settings.from_env()}
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
    return sensor(context), context


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_drift_on_two_of_three_days_launches_retrain_tagged_with_the_signal_once(warehouse, instance, webhook):
    result, context = _evaluate(monitoring.retrain_on_drift, warehouse, instance)
    assert isinstance(result, dg.SkipReason)  # quiet world: nothing to do
    _set(warehouse, tables.FEATURE_DRIFT, [0, 2])
    result, context = _evaluate(monitoring.retrain_on_drift, warehouse, instance)
    [request] = result.run_requests
    assert request.tags["lead_scoring/trigger"] == "drift:feature_drift"
    assert "2 of the last 3 days" in request.tags["lead_scoring/trigger_reason"]
    assert webhook.received[-1]["kind"] == "retrain_triggered"
    again, _ = _evaluate(monitoring.retrain_on_drift, warehouse, instance, cursor=result.cursor)
    assert isinstance(again, dg.SkipReason) and "already evaluated" in again.skip_message


def test_one_noisy_day_cool_down_and_stale_data_hold_the_retrain(warehouse, instance):
    _set(warehouse, tables.FEATURE_DRIFT, [0])
    assert isinstance(_evaluate(monitoring.retrain_on_drift, warehouse, instance)[0], dg.SkipReason)
    _set(warehouse, tables.FEATURE_DRIFT, [1])
    with warehouse.connect() as con:  # retrained 2 days ago
        con.execute(f"update {tables.RETRAINS} set retrained_as_of = ?", [_day(2)])
    skipped = _evaluate(monitoring.retrain_on_drift, warehouse, instance)[0]
    assert "cool-down" in skipped.skip_message
    with warehouse.connect() as con:
        con.execute(f"update {tables.RETRAINS} set retrained_as_of = ?", [_day(9)])
    _set(warehouse, tables.SOURCE_FRESHNESS, [0])
    assert "waiting for fresh data" in _evaluate(monitoring.retrain_on_drift, warehouse, instance)[0].skip_message


def test_model_freshness_sensor_retrains_an_old_champion(warehouse, instance):
    assert "9 days old" in _evaluate(monitoring.retrain_on_stale_model, warehouse, instance)[0].skip_message
    with warehouse.connect() as con:
        con.execute(f"update {tables.RETRAINS} set retrained_as_of = ?", [_day(15)])
    [request] = _evaluate(monitoring.retrain_on_stale_model, warehouse, instance)[0].run_requests
    assert request.tags["lead_scoring/trigger"] == "model_freshness:champion_too_old"
    assert "15 days old" in request.tags["lead_scoring/trigger_reason"]


def test_stale_data_alert_once_per_day(warehouse, instance, webhook):
    assert isinstance(_evaluate(monitoring.stale_data_alert, warehouse, instance)[0], dg.SkipReason)
    assert webhook.received == []
    _set(warehouse, tables.SOURCE_FRESHNESS, [0])
    result, _ = _evaluate(monitoring.stale_data_alert, warehouse, instance)
    assert webhook.received[-1]["kind"] == "stale_data" and webhook.received[-1]["details"]["sources"] == ["activities"]
    assert isinstance(_evaluate(monitoring.stale_data_alert, warehouse, instance, cursor=result.cursor)[0], dg.SkipReason)
    assert len(webhook.received) == 1


def test_run_failure_alert_names_the_job_and_the_error(instance, webhook):
    @dg.op
    def breaks():
        raise ValueError("the warehouse is on fire")

    @dg.job
    def fragile():
        breaks()

    result = fragile.execute_in_process(instance=instance, raise_on_error=False)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_event=result.get_run_failure_event(), dagster_instance=instance,
        dagster_run=result.dagster_run, resources={"settings": Settings.from_env()},
    ).for_run_failure()
    monitoring.run_failure_alert(context)
    alert = webhook.received[-1]
    assert alert["kind"] == "run_failure" and "'fragile'" in alert["text"] and alert["details"]["run_id"] == result.run_id
