"""Benchmark: `lead-scoring replay --days 120` at the default size, and monitoring's share of the daily run.

Prints the replay's wall time, the time per daily run (median), the time of the
monitoring steps in it (median) and their share, the retrain runs' times, and
the machine's load average before and after (the target assumes 2 idle cores).
Target: the 120-day replay in under 10 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_replay.py [--days 120] [--leads-per-day 250] [--scenario NAME@DAY]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
MONITORING_STEPS = ("monitoring__", "monitoring_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--leads-per-day", type=int, default=250)
    parser.add_argument("--scenario", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_replay_") as tmp:
        env = {**os.environ, "LEAD_SCORING_HOME": tmp}
        for variable in ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "LEAD_SCORING_WAREHOUSE_PATH"):
            env.pop(variable, None)
        command = [str(BIN / "lead-scoring"), "replay", "--days", str(args.days), "--leads-per-day", str(args.leads_per_day)]
        for scenario in args.scenario:
            command += ["--scenario", scenario]
        load_before = os.getloadavg()
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"replay failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        report = json.loads((Path(tmp) / "replay_summary.json").read_text())
    daily = [r for r in report["runs"] if r["job"] == "daily_scoring" and r["success"]]
    monitoring = [sum(s for k, s in r["step_seconds"].items() if k.startswith(MONITORING_STEPS)) for r in daily]
    retrains = [r["seconds"] for r in report["runs"] if r["job"] == "retrain"]
    print(f"replay --days {args.days} --leads-per-day {args.leads_per_day} {' '.join(args.scenario)}")
    print(f"  wall time               {wall:8.1f} s   (target < 600 s on 2 idle cores)")
    print(f"  daily runs              {len(daily):8d}     median {statistics.median(r['seconds'] for r in daily):.1f} s")
    print(f"  monitoring steps        median {statistics.median(monitoring):.2f} s per daily run, "
          f"{sum(monitoring) / sum(r['seconds'] for r in daily):.1%} of daily run time")
    steps = {key for r in daily for key in r["step_seconds"]}
    medians = {key: statistics.median(r["step_seconds"].get(key, 0.0) for r in daily) for key in steps}
    top = sorted(medians.items(), key=lambda item: -item[1])[:6]
    print(f"  daily run steps         median s: {', '.join(f'{key} {value:.2f}' for key, value in top)}; "
          f"outside steps {statistics.median(r['seconds'] - sum(r['step_seconds'].values()) for r in daily):.2f}")
    print(f"  retrain runs            {len(retrains):8d}     total {sum(retrains):.1f} s")
    print(f"  first backfill+retrain  {sum(r['seconds'] for r in report['runs'][:2]):8.1f} s")
    print(f"  load average            before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (2 cores; above 2 the machine is shared)")
    print(result.stdout[result.stdout.find("Replay timeline"):])


if __name__ == "__main__":
    main()
