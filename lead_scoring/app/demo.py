"""`lead-scoring demo`: simulate a CRM history, then run the platform on it through Dagster.

Every step runs as a Dagster run in the persistent instance under the home
folder, so `make ui` (`dg dev`) afterwards shows the same runs, materialisations and
checks the demo produced.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from lead_scoring.app import status
from lead_scoring.app.home import home_in_use, reset_home
from lead_scoring.errors import LeadScoringError
from lead_scoring.platform.dbt_cli import prepare_manifest
from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.platform.runs import BlockedRun, JobRunner
from lead_scoring.redaction import redacted
from lead_scoring.settings import PROJECT_DIR, Settings
from lead_scoring.simulator.generator import simulate
from lead_scoring.simulator.scenarios import Scenario


class DemoError(LeadScoringError):
    pass


MIN_DAYS = 60


def run_job(runner: JobRunner, job_name: str, out: Callable[[str], None], **kwargs) -> float:
    outcome = runner.run(job_name, **kwargs)
    outcome.raise_for_failure()
    out(f"  {job_name}: run {outcome.run_id[:8]} succeeded in {outcome.seconds:.1f} s")
    return outcome.seconds


def _clean_days(days: int, scenarios: tuple[Scenario, ...]) -> int:
    """Days ingested in the first backfill: up to the first fault, but at least a trainable history."""
    first_fault = min((s.start_day for s in scenarios if s.name != "clean"), default=days - 1)
    return min(max(first_fault, MIN_DAYS), days - 1)


def run_history(runner: JobRunner, start: date, history_end: date, end: date, out: Callable[[str], None],
                timings: dict[str, float]) -> None:
    """The landed history through Dagster: one ingestion backfill up to ``history_end``, a retrain, then each later
    day through `daily_scoring` (a simulated CRM's and a mapped source's alike)."""
    out(f"[2/4] ingesting landing days {start} .. {history_end} into the warehouse (one backfill run)")
    timings["ingest"] = run_job(runner, "ingestion", out, tags={"dagster/asset_partition_range_start": start.isoformat(),
                                                               "dagster/asset_partition_range_end": history_end.isoformat()})
    out("[3/4] building dbt features, training, tracking in MLflow, promoting (job `retrain`)")
    timings["retrain"] = run_job(runner, "retrain", out)
    daily = [history_end + timedelta(days=i) for i in range(1, (end - history_end).days + 1)]
    out(f"[4/4] ingesting and scoring {', '.join(map(str, daily))} (job `daily_scoring`)")
    timings["daily_scoring"] = sum(run_job(runner, "daily_scoring", out, partition_key=d.isoformat()) for d in daily)


def run_demo(
    settings: Settings,
    days: int = 120,
    leads_per_day: int = 250,
    seed: int = 7,
    scenarios: tuple[Scenario, ...] = (),
    reset: bool = False,
    end_date: date | None = None,
    out: Callable[[str], None] = print,
) -> dict:
    """Simulate, ingest the history, retrain, then score each remaining day through the daily job.

    Without fault scenarios the daily job runs once, for the last day. With them,
    the history up to the first fault is ingested and trained on, and each later
    day runs through the daily job until a guard stops one: that is reported, not
    raised, since showing the guard is what the scenario asked for.
    """
    if days < MIN_DAYS + 1:
        raise DemoError(f"--days {days}: the history must span at least {MIN_DAYS + 1} days (30-day labels need time to mature)")
    if home_in_use(settings) and not reset:
        raise DemoError(f"{settings.home} already holds a demo: pass --reset to start over")
    reset_home(settings)
    ensure_dagster_home(settings.dagster_home)
    if not settings.dbt_manifest_path.exists():
        prepare_manifest(settings)

    timings: dict[str, float] = {}
    end = end_date or date.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    out(f"[1/4] simulating {days} days of CRM data ({start} .. {end}, ~{leads_per_day} leads/day, seed {seed}"
        + (f", scenarios {', '.join(map(str, scenarios))})" if scenarios else ")"))
    started = time.perf_counter()
    counts = simulate(settings.landing_dir, settings.ground_truth_dir, start, days, leads_per_day, seed, scenarios)
    timings["simulate"] = time.perf_counter() - started
    out(f"  {counts['leads']} leads, {counts['activities']} activities, {counts['conversions']} conversions "
        f"in {timings['simulate']:.1f} s")

    history_end = start + timedelta(days=_clean_days(days, scenarios) - 1)
    blocked, runner = None, JobRunner(settings)
    try:
        run_history(runner, start, history_end, end, out, timings)
    except BlockedRun as stop:
        if not any(s.name != "clean" for s in scenarios):
            raise
        out(f"  stopped as designed: {stop}")
        blocked = stop.checks
    out("[report] feature catalog and stakeholder report, checks that failed included (job `weekly_report`)")
    timings["report"] = run_job(runner, "weekly_report", out)

    report = status.collect(settings)
    report["generated"] = counts
    wh = settings.warehouse()
    report["snapshot_rows"] = int(wh.query("select count(*) as n from marts.lead_snapshots").n.iloc[0]) if wh.table_exists("marts.lead_snapshots") else 0
    report["timings_seconds"] = {k: round(v, 2) for k, v in timings.items()}
    report["blocked_by"] = blocked
    (settings.home / "demo_summary.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def render_summary(report: dict, settings: Settings) -> str:
    champion = report["champion"] or {}
    auc = champion.get("metrics", {}).get("test_roc_auc")
    gen = report["generated"]
    headline = "Demo complete." if not report.get("blocked_by") else "Demo stopped by the guards (see above); state kept:"
    lines = [
        "",
        headline,
        f"  generated       {gen['leads']} leads, {gen['activities']} activities, {gen['conversions']} conversions",
        f"  snapshot rows   {report['snapshot_rows']} (marts.lead_snapshots)",
        f"  ROC AUC         model {auc:.3f} | rules baseline {report['baseline_roc_auc']:.3f} | "
        f"Bayes limit {report['bayes_roc_auc']:.3f}" if auc is not None else "  no champion yet",
        f"  champion        {report['registered_model']} version {champion.get('version', '-')}",
        f"  leads scored    {report['scored_leads']} as of {report['last_scored_date']} ({report['scores_table']})",
        "",
        "  stage times     " + ", ".join(f"{k} {v:.0f} s" for k, v in report["timings_seconds"].items()),
        f"  run logs        {settings.home / 'logs' / 'demo.log'}",
        f"  report          {settings.home / 'reports' / 'latest.html'}",
        "",
        "Look at it:",
        f"  Dagster UI: cd {PROJECT_DIR} && DAGSTER_HOME={settings.dagster_home} LEAD_SCORING_HOME={settings.home} "
        f"{Path(sys.executable).parent}/dg dev -h 127.0.0.1 -p 3000",
        f"  MLflow UI:  {Path(sys.executable).parent}/mlflow ui --backend-store-uri {redacted(settings.mlflow_tracking_uri)} "
        f"--host 127.0.0.1 --port 5000",
        "  (or `make ui` and `make mlflow-ui`), then open http://127.0.0.1:3000 and http://127.0.0.1:5000",
    ]
    return "\n".join(lines)
