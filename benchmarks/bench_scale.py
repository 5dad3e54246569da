"""Benchmark: what a day costs as the history grows, on a home the demo built (any size).

Extends the home's simulated world day by day and runs `daily_scoring` for each
new day through Dagster, as the schedule does, and prints per run the wall
time, the largest steps and the home's size on disk; then the peak memory of
the process tree (RSS and PSS summed over the processes, see
``process_tree.py``). The first run warms the process up; day N is the second.
With ``--gap 60`` the days up to N+59 are ingested in one backfill, their
features built by one daily run, and day N+60 is measured. ``--retrain`` then
runs the `retrain` job, whose training snapshots catch up with every day since
the home's last retrain.

    .venv/bin/lead-scoring demo --end-date <62+ days ago> ...   # a world whose days N..N+60 are in the past
    LEAD_SCORING_HOME=... .venv/bin/python benchmarks/bench_scale.py [--gap 60] [--full-refresh-first]

``--full-refresh-first`` runs the warm-up with ``full_refresh`` in the ``dbt_models``
config (a home built before the models were incremental needs it once).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from process_tree import run_sampled  # noqa: E402  (a sibling script, not a package)

from lead_scoring.platform.runs import JobRunner  # noqa: E402
from lead_scoring.settings import Settings  # noqa: E402
from lead_scoring.simulator import landing  # noqa: E402
from lead_scoring.simulator.generator import simulate  # noqa: E402

FULL_REFRESH = {"ops": {"dbt_models": {"config": {"full_refresh": True}}}}


def extend(settings: Settings, extra_days: int) -> list[date]:
    """Land ``extra_days`` more days of the home's simulated world; returns them."""
    plan = landing.read_manifest(settings.landing_dir)
    start, days = date.fromisoformat(plan["start_date"]), plan["days"]
    simulate(settings.landing_dir, settings.ground_truth_dir, start, days + extra_days, plan["leads_per_day"],
             plan["seed"], write_from_day=days)
    return [start + timedelta(days=days + i) for i in range(extra_days)]


def disk_mib(path: Path) -> float:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True).stdout.split()[0]) / 1024


def job(runner: JobRunner, name: str, label: str, **kwargs) -> None:
    outcome = runner.run(name, **kwargs)
    outcome.raise_for_failure()
    steps = sorted(outcome.step_seconds.items(), key=lambda item: -item[1])
    largest = ", ".join(f"{step} {seconds:.1f}" for step, seconds in steps[:4])
    print(f"{label}: {name} {outcome.seconds:.1f} s (steps: {largest}); home {disk_mib(runner.settings.home):.0f} MiB", flush=True)


def daily(runner: JobRunner, day: date, label: str, **kwargs) -> None:
    job(runner, "daily_scoring", f"{label} ({day})", partition_key=day.isoformat(), **kwargs)


def measure(args: argparse.Namespace) -> None:
    settings = Settings.from_env()
    runner = JobRunner(settings, log_name="bench_scale")
    warm_up, = extend(settings, 1)  # this process's first run also pays the imports and the first loads
    daily(runner, warm_up, "warm-up", **({"run_config": FULL_REFRESH} if args.full_refresh_first else {}))
    day_n, = extend(settings, 1)
    daily(runner, day_n, "day N")
    if args.gap:
        between = extend(settings, args.gap - 1)
        outcome = runner.run("ingestion", tags={"dagster/asset_partition_range_start": between[0].isoformat(),
                                                "dagster/asset_partition_range_end": between[-1].isoformat()})
        outcome.raise_for_failure()
        print(f"ingestion of {len(between)} days: {outcome.seconds:.1f} s", flush=True)
        daily(runner, between[-1], "catch-up (the backfilled days' features)")
        later, = extend(settings, 1)
        daily(runner, later, f"day N+{args.gap}")
    if args.retrain:
        job(runner, "retrain", "retrain")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gap", type=int, default=0, help="days from the first measured run to the second (60: day N+60)")
    parser.add_argument("--full-refresh-first", action="store_true")
    parser.add_argument("--retrain", action="store_true", help="run the retrain job after the daily runs")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the sampled child process
    args = parser.parse_args()
    if args.measure:
        return measure(args)
    code, wall, peak = run_sampled([sys.executable, __file__, *sys.argv[1:], "--measure"])
    print(f"wall {wall:.1f} s, exit {code}; peak of the process tree: PSS {peak.pss_mib:.0f} MiB, "
          f"RSS sum {peak.rss_mib:.0f} MiB, largest process {peak.largest_process_mib:.0f} MiB")
    sys.exit(code)


if __name__ == "__main__":
    main()
