"""The story a replay tells: when each change was detected, what retrained, what was promoted, AUC before and after."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import pandas as pd
from sklearn.metrics import roc_auc_score

from lead_scoring import tables
from lead_scoring.ml import registry
from lead_scoring.ml.features import feature_contract
from lead_scoring.ml.model import predict
from lead_scoring.settings import REGISTERED_MODEL, Settings
from lead_scoring.simulator.scenarios import Scenario
from lead_scoring.steps.monitoring import champion_test_roc_auc
from lead_scoring.warehouse import Warehouse

SIGNAL_TABLES = {
    "feature_drift": tables.FEATURE_DRIFT,
    "prediction_drift": tables.PREDICTION_DRIFT,
    "performance_decay": tables.LIVE_PERFORMANCE,
    "stale_source": tables.SOURCE_FRESHNESS,
}


def _error_days(wh: Warehouse, table: str) -> list[date]:
    if not wh.table_exists(table):
        return []
    found = wh.query(f"select distinct as_of_date from {table} where severity = 'error' order by as_of_date")
    return [pd.Timestamp(d).date() for d in found.as_of_date]


def _detections(wh: Warehouse, scenarios: tuple[Scenario, ...], start: date) -> list[dict]:
    """Per scenario and signal: the first significant as-of date on or after the first affected scores.

    Landing day S (the scenario's first day) is first visible in the scores as of S + 1, so
    ``days_to_detect`` 1 means the very first affected day.
    """
    found = []
    for scenario in scenarios:
        first_affected = start + timedelta(days=scenario.start_day + 1)
        for signal, table in SIGNAL_TABLES.items():
            days = [d for d in _error_days(wh, table) if d >= first_affected]
            if days:
                found.append({"scenario": str(scenario), "signal": signal, "detected_as_of": days[0].isoformat(),
                              "days_to_detect": (days[0] - first_affected).days + 1})
    return found


def _auc_on(frame: pd.DataFrame, loaded, features) -> float | None:


    label = frame["converted_within_30d"].astype(int)
    if label.nunique() < 2:
        return None
    return float(roc_auc_score(label, predict(loaded.model, frame, features)))


def _champion_at(retrains: pd.DataFrame, day: date) -> str | None:
    promoted = retrains[retrains.promoted.astype(bool) & (pd.to_datetime(retrains.retrained_as_of).dt.date <= day)]
    return str(promoted.challenger_version.iloc[-1]) if len(promoted) else None


def compare_after(settings: Settings, retrains: pd.DataFrame, since: date) -> dict | None:
    """ROC AUC of the champion in force at ``since`` and of today's champion, on the mature snapshots from ``since`` on."""

    old, new = _champion_at(retrains, since), _champion_at(retrains, date.max)
    wh = settings.warehouse()
    rows = wh.query("select * from marts.lead_snapshots where label_is_mature and as_of_date >= ?", [since])
    if old is None or new is None or old == new or rows.empty:
        return None
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    features = feature_contract(settings.dbt_manifest_path)
    return {
        "since": since.isoformat(),
        "snapshots": len(rows),
        "old_champion": old,
        "old_champion_roc_auc": _auc_on(rows, registry.load_model(client, number=old), features),
        "new_champion": new,
        "new_champion_roc_auc": _auc_on(rows, registry.load_model(client, number=new), features),
    }


def build_timeline(settings: Settings, replay, scenarios: tuple[Scenario, ...], start: date) -> dict:
    wh = settings.warehouse()
    retrains = wh.query(f"select * from {tables.RETRAINS} order by retrained_as_of, recorded_at")
    runs = [asdict(r) for r in replay.runs]
    daily = [r for r in runs if r["job"] == "daily_scoring"]
    world_changes = [s for s in scenarios if s.name != "clean"]
    return {
        "scenarios": [str(s) for s in scenarios] or ["clean"],
        "detections": _detections(wh, tuple(world_changes), start),
        "retrains": _with_test_auc(settings, [
            {k: bool(v) if k == "promoted" else (str(v)[:10] if k == "retrained_as_of" else v) for k, v in row.items() if k != "recorded_at"}
            for row in retrains.to_dict("records")
        ]),
        "drift_triggered_retrains": sum(1 for r in runs if r["launched_by"] == "sensor:retrain_on_drift"),
        "freshness_triggered_retrains": sum(1 for r in runs if r["launched_by"] == "sensor:retrain_on_stale_model"),
        "scheduled_retrains": sum(1 for r in runs if r["launched_by"].startswith("schedule:") and r["job"] == "retrain"),
        "daily_runs": len(daily),
        "daily_runs_failed": [r["day"] for r in daily if not r["success"]],
        "scored_days": _scored_days(wh),
        "sensor_requests": replay.sensor_notes,
        "post_change_auc": [c for s in world_changes if (c := compare_after(settings, retrains, start + timedelta(days=s.start_day + 1)))],
        "runs": runs,
    }


def _with_test_auc(settings: Settings, retrains: list[dict]) -> list[dict]:
    """Each retrain with the ROC AUC of its challenger and of the champion it ran against, each on its own test set."""

    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)

    def auc(version) -> float | None:
        return champion_test_roc_auc(client, client.get_model_version(REGISTERED_MODEL, str(version))) if version else None

    before = None
    for row in retrains:
        row["champion_before"], row["champion_before_test_roc_auc"] = before, auc(before)
        row["challenger_test_roc_auc"] = auc(row["challenger_version"])
        before = row["champion_version"]
    return retrains


def _scored_days(wh: Warehouse) -> list[str]:
    if not wh.table_exists(tables.SCORES):
        return []
    return [str(pd.Timestamp(d).date()) for d in wh.query(f"select distinct as_of_date from {tables.SCORES} order by 1").as_of_date]


def render(report: dict) -> str:
    lines = ["", f"Replay timeline ({', '.join(report['scenarios'])}); dates are as-of dates of the scores"]
    for d in report["detections"]:
        lines.append(f"  {d['detected_as_of']}  detected {d['signal']:<18} ({d['scenario']}, after {d['days_to_detect']} day(s))")
    for r in report["retrains"]:
        verdict = "promoted" if r["promoted"] else "rejected"
        before = f" (was v{r['champion_before']}, test ROC AUC {r['champion_before_test_roc_auc']:.3f})" if r["champion_before"] else ""
        lines.append(f"  {r['retrained_as_of']}  retrain ({r['trigger']}): v{r['challenger_version']} test ROC AUC "
                     f"{r['challenger_test_roc_auc']:.3f} {verdict}, champion v{r['champion_version']}{before}")
    for c in report["post_change_auc"]:
        lines.append(
            f"  ROC AUC on {c['snapshots']} mature snapshots since {c['since']}: old champion v{c['old_champion']} "
            f"{c['old_champion_roc_auc']:.3f} -> new champion v{c['new_champion']} {c['new_champion_roc_auc']:.3f}"
        )
    lines += [
        f"  retrains: {report['scheduled_retrains']} scheduled, {report['drift_triggered_retrains']} drift-triggered, "
        f"{report['freshness_triggered_retrains']} model-freshness-triggered",
        f"  daily runs: {report['daily_runs']} ({len(report['daily_runs_failed'])} stopped: {', '.join(report['daily_runs_failed'][:5]) or 'none'})",
    ]
    return "\n".join(lines)
