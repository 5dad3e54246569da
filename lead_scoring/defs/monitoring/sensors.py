"""Monitoring sensors: retrain on drift or an old champion, alert on stale data and failed runs.

Each decides with a plain function of ``lead_scoring.monitoring.triggers`` under
``settings.policies.retrain``, and alerts through ``lead_scoring.monitoring.notify``.
Sensors are off until switched on in the UI, like the schedules.
"""

import json
from datetime import date

import dagster as dg

from lead_scoring.defs.partitions import REASON_TAG, TRIGGER_TAG
from lead_scoring.monitoring import triggers  # standard library only: cheap at load time
from lead_scoring.monitoring.notify import Alert, notify
from lead_scoring.platform.resources import WarehouseResource
from lead_scoring.settings import Settings

RETRAIN_JOB = "retrain"


def _state(warehouse: WarehouseResource):
    from lead_scoring.steps import monitoring as compute

    return compute.monitoring_state(warehouse.get())


def _retrain_request(context: dg.SensorEvaluationContext, settings: Settings, sensor_name: str, decision, today: date) -> dg.SensorResult:
    notify(Alert("retrain_triggered", f"{sensor_name}: retraining - {decision.reason}",
                 {"trigger": decision.trigger, "as_of_date": today.isoformat()}), settings.alert_webhook_url, context.log)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"{decision.trigger}@{today}", tags={TRIGGER_TAG: decision.trigger, REASON_TAG: decision.reason[:250]})],
        cursor=json.dumps({"last_requested_as_of": today.isoformat()}),
    )


def _already_requested(cursor: str | None, today: date) -> bool:
    return bool(cursor) and json.loads(cursor).get("last_requested_as_of") == today.isoformat()


def _evaluate_retrain(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, settings: Settings, sensor_name: str, decide):
    """Once per monitored day: ask ``decide`` (a decision of ``monitoring.triggers``) and launch or skip."""
    state = _state(warehouse)
    if state.today is None or _already_requested(context.cursor, state.today):
        return dg.SkipReason(f"already evaluated {state.today}" if state.today else "nothing monitored yet")
    decision = decide(state, settings.policies.retrain)
    return _retrain_request(context, settings, sensor_name, decision, state.today) if decision.launch else dg.SkipReason(decision.reason)


@dg.sensor(job_name=RETRAIN_JOB, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Retrains when feature drift, prediction drift or live performance decay is significant on N of "
           "the last M monitored days (default 2 of 3), outside a cool-down after the last retrain (default 7 days), "
           "and only on fresh data. The run's tag lead_scoring/trigger names the signal.")
def retrain_on_drift(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]):
    return _evaluate_retrain(context, warehouse, settings, "retrain_on_drift", triggers.drift_decision)


@dg.sensor(job_name=RETRAIN_JOB, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Model freshness: retrains when the champion was trained on data older than its freshness "
           "policy (default 14 days), so a model never silently ages (e.g. when the weekly schedule is off).")
def retrain_on_stale_model(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]):
    return _evaluate_retrain(context, warehouse, settings, "retrain_on_stale_model", triggers.freshness_decision)


@dg.sensor(minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Alerts once per day on which a raw source is stale (scoring of that day is withheld).")
def stale_data_alert(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]):
    state = _state(warehouse)
    if state.today is None or not state.stale_sources or _already_requested(context.cursor, state.today):
        return dg.SkipReason(f"no new stale day (latest {state.today})")
    notify(Alert("stale_data", f"stale data as of {state.today}: {', '.join(state.stale_sources)} did not land; "
                 "scoring is withheld and retraining waits", {"as_of_date": state.today.isoformat(), "sources": state.stale_sources}), settings.alert_webhook_url, context.log)
    return dg.SensorResult(cursor=json.dumps({"last_requested_as_of": state.today.isoformat()}))


@dg.run_failure_sensor(default_status=dg.DefaultSensorStatus.STOPPED, description="Alerts on every failed run, naming the job and the error.")
def run_failure_alert(context: dg.RunFailureSensorContext, settings: dg.ResourceParam[Settings]):
    run = context.dagster_run
    notify(Alert("run_failure", f"run {run.run_id[:8]} of job {run.job_name!r} failed: {context.failure_event.message}",
                 {"run_id": run.run_id, "job": run.job_name, "tags": dict(run.tags)}), settings.alert_webhook_url, context.log)




defs = dg.Definitions(sensors=[retrain_on_drift, retrain_on_stale_model, stale_data_alert, run_failure_alert])
