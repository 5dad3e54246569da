"""The late-arrivals guard: rows landed more than the tolerance after their event, per source, with a share."""

from datetime import date, datetime, timedelta

import pyarrow as pa

from lead_scoring.policies import ArrivalsPolicy
from lead_scoring.steps import ingest
from lead_scoring.quality import arrivals
from lead_scoring.simulator.generator import simulate
from lead_scoring.simulator.scenarios import LATE_ACTIVITIES, LATE_BY_DAYS, Scenario
from lead_scoring.warehouse import Warehouse

DAY = date(2026, 6, 10)
START = date(2026, 5, 4)


def _activities(*occurred: datetime | None) -> pa.Table:
    return pa.table({"occurred_at": pa.array(occurred, pa.timestamp("us"))})


def test_only_events_older_than_the_tolerance_are_late():
    midnight = datetime(DAY.year, DAY.month, DAY.day)
    rows = _activities(midnight, midnight - timedelta(hours=3), midnight - timedelta(days=1, hours=1), None)
    found = arrivals.late_arrivals("activities", [(DAY, rows)])
    assert (found.rows, found.late_rows, found.late_by_landing_day) == (4, 1, {DAY.isoformat(): 1})
    assert found.earliest_late_event == DAY - timedelta(days=2) and found.share == 0.25 and found.warns


def test_a_day_on_time_stays_quiet_and_the_threshold_is_a_share():
    midnight = datetime(DAY.year, DAY.month, DAY.day)
    on_time = arrivals.late_arrivals("activities", [(DAY, _activities(*[midnight] * 50))])
    assert (on_time.late_rows, on_time.share, on_time.warns) == (0, 0.0, False)
    n = 1000
    allowed = int(n * ArrivalsPolicy().late_warn_share)
    at_limit = _activities(*[midnight - timedelta(days=5)] * allowed, *[midnight] * (n - allowed))
    assert not arrivals.late_arrivals("activities", [(DAY, at_limit)]).warns
    over = _activities(*[midnight - timedelta(days=5)] * (allowed + 1), *[midnight] * (n - allowed - 1))
    assert arrivals.late_arrivals("activities", [(DAY, over)]).warns


def test_a_backlog_landed_today_is_counted_per_source_on_the_prepared_rows(tmp_path):
    late_day = 30
    simulate(tmp_path / "landing", tmp_path / "truth", START, late_day + 1, 30, seed=5, scenarios=(Scenario("late_activities", late_day),))
    days = [START + timedelta(days=late_day - 1), START + timedelta(days=late_day)]
    wh = Warehouse(tmp_path / "wh.duckdb")
    ingest.load_days(wh, tmp_path / "landing", [START + timedelta(days=i) for i in range(late_day - 1)])
    with ingest.prepared_load(wh, tmp_path / "landing", list(arrivals.EVENT_TIME) + ["leads"], days) as prepared:
        found = {t: [arrivals.late_arrivals(t, [(day, prepared.valid(t, day))]) for day in days] for t in arrivals.EVENT_TIME}
    clean, late = found["activities"]
    assert clean.rows > 0 and (clean.late_rows, clean.warns) == (0, False)
    assert late.late_rows == LATE_ACTIVITIES and late.warns
    assert late.earliest_late_event == days[1] - timedelta(days=LATE_BY_DAYS)
    assert not any(f.late_rows for t in ("conversions", "consents") for f in found[t])
