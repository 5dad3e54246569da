"""`lead-scoring replay`: months of the platform's life on a simulated clock, through Dagster.

Day by day: the day's CRM files land, the daily job runs as its schedule would
(tag ``dagster/schedule_name``), the weekly retrain runs on Mondays (unless
``--no-scheduled-retrain``), then the real sensors are evaluated with their
cursors and the runs they request are launched (tag ``dagster/sensor_name``).
Everything is recorded in the persistent instance under the home, so
``dagster dev`` afterwards shows the history. The first ``demo.MIN_DAYS`` days
are the history the first model is trained on (one backfill, one retrain).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from dagster import build_sensor_context

from lead_scoring import tables
from lead_scoring.app import demo, home
from lead_scoring.app.replay_timeline import build_timeline
from lead_scoring.platform import dbt_cli
from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.platform.runs import JobRunner, RunOutcome
from lead_scoring.settings import Settings
from lead_scoring.simulator.generator import CrmSimulator, land_day, write_manifest
from lead_scoring.simulator.scenarios import Scenario

SENSORS = ("run_failure_alert", "stale_data_alert", "retrain_on_drift", "retrain_on_stale_model")
DAILY_SCHEDULE = "daily_scoring_schedule"
RETRAIN_SCHEDULE = "retrain_schedule"


@dataclass
class ReplayRun:
    day: str  # the simulated landing day the run belongs to
    job: str
    launched_by: str  # schedule:<name>, sensor:<name> or manual
    run_id: str
    success: bool
    seconds: float
    trigger: str | None = None
    failed_checks: dict = field(default_factory=dict)
    step_seconds: dict = field(default_factory=dict)


class Replay:
    def __init__(self, settings: Settings, runner: JobRunner, out: Callable[[str], None]):
        self.settings, self.runner, self.out = settings, runner, out
        self.runs: list[ReplayRun] = []
        self.cursors: dict[str, str | None] = {name: None for name in SENSORS}
        self.sensor_notes: list[dict] = []

    def run(self, day: date, job: str, launched_by: str, **kwargs) -> RunOutcome:
        tags = kwargs.pop("tags", {})
        if launched_by.startswith("schedule:"):
            tags = {**tags, "dagster/schedule_name": launched_by.split(":", 1)[1]}
        elif launched_by.startswith("sensor:"):
            tags = {**tags, "dagster/sensor_name": launched_by.split(":", 1)[1]}
        outcome = self.runner.run(job, tags=tags, **kwargs)
        trigger = tags.get("lead_scoring/trigger")
        self.runs.append(ReplayRun(day.isoformat(), job, launched_by, outcome.run_id, outcome.success, round(outcome.seconds, 2),
                                   trigger, outcome.failed_checks, {k: round(v, 2) for k, v in outcome.step_seconds.items()}))
        verdict = "ok" if outcome.success else "FAILED: " + "; ".join(list(outcome.failed_checks)[:3] or outcome.errors[-1:])
        self.out(f"  {day}  {job:<14} {launched_by:<34} {outcome.seconds:5.1f} s  {verdict}"[:200])
        return outcome

    def evaluate_sensors(self, day: date) -> None:
        """Each sensor once, with its cursor; the runs it requests are launched at once."""

        from lead_scoring.definitions import build_resources  # importing definitions builds its module-level defs from the environment

        defs, resources = self.runner.definitions, build_resources(self.settings)
        for name in SENSORS:
            sensor = defs.get_sensor_def(name)
            with self.runner.warehouse_open(), build_sensor_context(instance=self.runner.instance, cursor=self.cursors[name], definitions=defs,
                                      sensor_name=name, resources=resources) as context:
                result = sensor.evaluate_tick(context)
            self.cursors[name] = result.cursor if result.cursor is not None else self.cursors[name]
            if result.skip_message:
                self.sensor_notes.append({"day": day.isoformat(), "sensor": name, "skipped": result.skip_message})
            for request in result.run_requests or []:
                self.sensor_notes.append({"day": day.isoformat(), "sensor": name, "requested": dict(request.tags)})
                self.run(day, request.job_name or sensor.job_name, f"sensor:{name}", tags=dict(request.tags))


def run_replay(
    settings: Settings,
    days: int = 120,
    leads_per_day: int = 250,
    seed: int = 7,
    scenarios: tuple[Scenario, ...] = (),
    scheduled_retrain: bool = True,
    reset: bool = False,
    end_date: date | None = None,
    out: Callable[[str], None] = print,
) -> dict:
    if days < demo.MIN_DAYS + 1:
        raise demo.DemoError(f"--days {days}: the replay needs at least {demo.MIN_DAYS + 1} days (the first model's history)")
    if home.home_in_use(settings) and not reset:
        raise demo.DemoError(f"{settings.home} already holds a history: pass --reset to start over")
    home.reset_home(settings)
    ensure_dagster_home(settings.dagster_home)
    if not settings.dbt_manifest_path.exists():
        dbt_cli.prepare_manifest(settings)

    end = end_date or date.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    simulator = CrmSimulator(start, leads_per_day, seed, scenarios)
    write_manifest(settings.landing_dir, start, days, leads_per_day, seed, scenarios)  # before Dagster reads the partitions
    replay = Replay(settings, JobRunner(settings, "replay"), out)

    def land() -> date:
        day, tables, truth = simulator.next_day()
        land_day(settings.landing_dir, settings.ground_truth_dir, day, tables, truth)
        return day

    history = [land() for _ in range(demo.MIN_DAYS)]
    out(f"replaying {start} .. {end}: {leads_per_day} leads/day, seed {seed}, "
        f"scenarios {', '.join(map(str, scenarios)) or 'clean'}, scheduled retrain {'on' if scheduled_retrain else 'off'}")
    replay.run(history[-1], "ingestion", "manual", tags={"dagster/asset_partition_range_start": history[0].isoformat(),
                                                          "dagster/asset_partition_range_end": history[-1].isoformat()}).raise_for_failure()
    replay.run(history[-1], "retrain", "manual").raise_for_failure()
    _require_champion(settings)
    replay.evaluate_sensors(history[-1])  # first ticks set the cursors (the run-failure sensor starts watching here)
    for _ in range(days - demo.MIN_DAYS):
        day = land()
        replay.run(day, "daily_scoring", f"schedule:{DAILY_SCHEDULE}", partition_key=day.isoformat())
        # The weekly retrain fires on Monday morning, after the night's scoring of Sunday's landing day.
        if scheduled_retrain and (day + timedelta(days=1)).weekday() == 0:
            replay.run(day, "retrain", f"schedule:{RETRAIN_SCHEDULE}")
        replay.evaluate_sensors(day)

    report = build_timeline(settings, replay, scenarios, start)
    (settings.home / "replay_summary.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def _require_champion(settings: Settings) -> None:
    first = settings.warehouse().query(f"select champion_version, challenger_version from {tables.RETRAINS}")
    if first.champion_version.isna().all():
        raise demo.DemoError(
            f"the first model (version {first.challenger_version.iloc[-1]}) did not pass the promotion gate on "
            f"{demo.MIN_DAYS} days of history, so there is no champion to score with: use more --leads-per-day"
        )

