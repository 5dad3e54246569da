"""`lead-scoring replay` through Dagster at small sizes: what the monitoring notices and what the sensors do.

One replay carries two changes one after the other (a new channel, then a
tracking outage) so that the 60-day history and the first model are paid for
once; a second, shorter one switches the weekly retrain off, lets the
model-freshness sensor retrain (with a one-day policy, to stay small), then
stops the activities source.
The 120-day targets at the default size (clean: no drift-triggered retrain;
concept drift: retrained, new champion better) run with ``LEAD_SCORING_LONG_TESTS=1``
and in ``benchmarks/bench_replay.py``.
"""

import json
import os
from datetime import date, timedelta

import pandas as pd
import pytest
from dagster import DagsterInstance, RunsFilter

from lead_scoring import tables
from lead_scoring.warehouse import Warehouse
from tests.conftest import run_cli
from tests.webhook_server import Webhook

pytestmark = pytest.mark.integration
END = date.today() - timedelta(days=1)
DAYS = 65
START = END - timedelta(days=DAYS - 1)
NEW_CHANNEL, OUTAGE = 61, 63  # landing days (from 0); the scores as of the next day see them first
AGING_DAYS, STALE = 63, 62
AGING_START = END - timedelta(days=AGING_DAYS - 1)


def _as_of(landing_day: int, start: date = START) -> date:
    return start + timedelta(days=landing_day + 1)


def _replay(home, args: list[str], env: dict[str, str], timeout: int = 900) -> dict:
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        run_cli(["replay", "--end-date", END.isoformat(), "--reset", *args], home, timeout=timeout)
    finally:
        for key, value in previous.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return json.loads((home / "replay_summary.json").read_text())


@pytest.fixture(scope="module")
def changes(tmp_path_factory):
    hook = Webhook()
    home = tmp_path_factory.mktemp("replay_changes")
    try:
        report = _replay(
            home,
            ["--days", str(DAYS), "--leads-per-day", "100", "--no-scheduled-retrain", "--scenario", f"new_channel@{NEW_CHANNEL}",
             "--scenario", f"tracking_outage@{OUTAGE}"],
            # The channel launches 2 days after the first training: a 3-day cool-down (default 7) lets the
            # drift retrain happen inside this short replay, and the replay ends before a second one could.
            {"LEAD_SCORING_ALERT_WEBHOOK_URL": hook.url, "LEAD_SCORING_RETRAIN_COOLDOWN_DAYS": "3"},
        )
        yield home, report, Warehouse(home / "warehouse.duckdb"), list(hook.received)
    finally:
        hook.close()


def _error_days(wh: Warehouse, features: list[str]) -> list[date]:
    found = wh.query(f"select distinct as_of_date from {tables.FEATURE_DRIFT} where severity = 'error' and feature in (select unnest(?)) order by 1", [features])
    return [pd.Timestamp(d).date() for d in found.as_of_date]


def test_new_channel_is_detected_within_three_days_and_retrains(changes):
    home, report, wh, alerts = changes
    days = _error_days(wh, ["lead_source"])
    assert days and days[0] >= _as_of(NEW_CHANNEL), f"lead_source flagged before the channel launched: {days}"
    assert (days[0] - _as_of(NEW_CHANNEL)).days < 3
    [request] = [n for n in report["sensor_requests"] if n["sensor"] == "retrain_on_drift" and "requested" in n]
    assert request["requested"]["lead_scoring/trigger"] == "drift:feature_drift"
    assert date.fromisoformat(request["day"]) < START + timedelta(days=NEW_CHANNEL + 3)
    retrains = wh.query(f"select trigger from {tables.RETRAINS} order by retrained_as_of").trigger.tolist()
    assert retrains == ["manual", "drift:feature_drift"]  # one drift retrain: the cool-down holds back the rest
    assert [a["details"]["trigger"] for a in alerts if a["kind"] == "retrain_triggered"] == ["drift:feature_drift"]


def test_tracking_outage_is_detected_within_three_days(changes):
    _, _, wh, _ = changes
    activity = ["email_open_30d", "email_click_30d"]
    days = [d for d in _error_days(wh, activity) if d >= _as_of(OUTAGE)]
    assert not [d for d in _error_days(wh, activity) if d < _as_of(OUTAGE)]
    assert days and (days[0] - _as_of(OUTAGE)).days < 3


def test_runs_carry_dagsters_schedule_and_sensor_tags(changes):
    home, _, _, _ = changes
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        daily = instance.get_runs(RunsFilter(job_name="daily_scoring"))
        retrains = instance.get_runs(RunsFilter(job_name="retrain", tags={"dagster/sensor_name": "retrain_on_drift"}))
    assert len(daily) == DAYS - 60 and {r.tags.get("dagster/schedule_name") for r in daily} == {"daily_scoring_schedule"}
    assert len(retrains) == 1 and retrains[0].tags["lead_scoring/trigger"] == "drift:feature_drift"


@pytest.fixture(scope="module")
def aging(tmp_path_factory):
    """Weekly retrain off, a one-day model freshness policy and cool-down (defaults: 14 and 7), then a stale source."""
    hook = Webhook()
    home = tmp_path_factory.mktemp("replay_aging")
    try:
        report = _replay(
            home, ["--days", str(AGING_DAYS), "--leads-per-day", "100", "--no-scheduled-retrain", "--scenario", f"stale_source@{STALE}"],
            {"LEAD_SCORING_ALERT_WEBHOOK_URL": hook.url, "LEAD_SCORING_RETRAIN_MAX_MODEL_AGE_DAYS": "1", "LEAD_SCORING_RETRAIN_COOLDOWN_DAYS": "1"},
        )
        yield home, report, Warehouse(home / "warehouse.duckdb"), list(hook.received)
    finally:
        hook.close()


def test_model_freshness_sensor_retrains_an_aged_champion(aging):
    _, report, _, _ = aging
    requests = [n for n in report["sensor_requests"] if "requested" in n]
    assert [(n["sensor"], n["requested"]["lead_scoring/trigger"], n["day"]) for n in requests] == [
        ("retrain_on_stale_model", "model_freshness:champion_too_old", (AGING_START + timedelta(days=61)).isoformat())
    ]  # the champion (data as of day 60) turned 2 days old on day 61's scores: over the 1-day policy
    assert any("is 1 days old" in n.get("skipped", "") for n in report["sensor_requests"] if n["sensor"] == "retrain_on_stale_model")
    assert [r["trigger"] for r in report["retrains"]] == ["manual", "model_freshness:champion_too_old"]
    assert report["scheduled_retrains"] == 0 and report["drift_triggered_retrains"] == 0


def test_stale_source_stops_scoring_waits_to_retrain_and_alerts(aging):
    _, report, wh, alerts = aging
    assert report["daily_runs_failed"] == [(AGING_START + timedelta(days=STALE)).isoformat()]
    scored = wh.query(f"select max(as_of_date) as d from {tables.SCORES}").d.iloc[0]
    assert pd.Timestamp(scored).date() == _as_of(STALE - 1, AGING_START), "scores were written on stale data"
    stale = wh.query(f"select * from {tables.SOURCE_FRESHNESS} where severity = 'error'")
    assert stale.source.tolist() == ["activities"] and pd.Timestamp(stale.as_of_date.iloc[0]).date() == _as_of(STALE, AGING_START)
    last_day = (AGING_START + timedelta(days=STALE)).isoformat()
    waiting = [n for n in report["sensor_requests"] if n["day"] == last_day and "fresh data" in n.get("skipped", "")]
    assert "retrain_on_drift" in {n["sensor"] for n in waiting}
    kinds = [a["kind"] for a in alerts]
    assert kinds.count("stale_data") == 1 and "run_failure" in kinds and "retrain_triggered" in kinds


LONG_REPLAY_TIMEOUT = 3 * 3600  # the 120-day replay took 527-608 s on 2 idle cores (bench_replay, 3 runs, 2026-12-01)
long_only = pytest.mark.skipif(not os.environ.get("LEAD_SCORING_LONG_TESTS"), reason="120-day replay: set LEAD_SCORING_LONG_TESTS=1")
# Both 120-day replays leave the weekly retrain off: a retrain every 7 days keeps the 7-day cool-down closed, so
# the drift sensor could never fire and the clean test could not fail. The model-freshness sensor retrains instead.
NO_SCHEDULE = ["--days", "120", "--no-scheduled-retrain"]


@long_only
def test_clean_120_days_trigger_no_drift_retrain(tmp_path):
    report = _replay(tmp_path, NO_SCHEDULE, {}, timeout=LONG_REPLAY_TIMEOUT)
    assert report["drift_triggered_retrains"] == 0 and report["freshness_triggered_retrains"] > 0


@long_only
def test_concept_drift_is_detected_from_matured_labels_and_the_new_champion_is_better(tmp_path):
    report = _replay(tmp_path, [*NO_SCHEDULE, "--scenario", "concept_drift@62"], {}, timeout=LONG_REPLAY_TIMEOUT)
    decay = [d for d in report["detections"] if d["signal"] == "performance_decay"]
    assert decay, report["detections"]
    assert any(r["trigger"] == "decay:performance_decay" for r in report["retrains"])
    [compared] = report["post_change_auc"]
    assert compared["new_champion_roc_auc"] > compared["old_champion_roc_auc"]
