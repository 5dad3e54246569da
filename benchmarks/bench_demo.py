"""Benchmark: `lead-scoring demo` (orchestrated by Dagster) vs the same work in a plain script.

Prints wall time, peak memory and per-stage times of each, and their ratio.
Targets: the default demo within 2 minutes on 2 cores; orchestrated within
1.15x the plain script (which runs dbt in process too). Run with `make bench` (or pass --days / --leads-per-day).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent


# Runs the command in a fresh process and reports the peak RSS of its process tree's largest member:
# RUSAGE_CHILDREN is a high-water mark, so each measurement needs its own parent.
PEAK_WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)"
)


def measured(command: list[str], home: Path, extra_env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB of the largest process in the tree, stdout."""
    env = {**os.environ, "LEAD_SCORING_HOME": str(home)}
    for variable in ("DAGSTER_HOME", "MLFLOW_TRACKING_URI", "LEAD_SCORING_WAREHOUSE_PATH", "LEAD_SCORING_WAREHOUSE_URL",
                     "LEAD_SCORING_DBT_TARGET"):
        env.pop(variable, None)
    env.update(extra_env or {})
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *command], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    peak = int(result.stderr.strip().splitlines()[-1]) / 1024
    return wall, peak, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", default="120")
    parser.add_argument("--leads-per-day", default="250")
    args = parser.parse_args()
    size = ["--days", args.days, "--leads-per-day", args.leads_per_day]
    with tempfile.TemporaryDirectory() as tmp:
        demo_home, plain_home = Path(tmp) / "demo", Path(tmp) / "plain"
        demo_wall, demo_peak, _ = measured([str(BIN / "lead-scoring"), "demo", *size], demo_home)
        demo_stages = json.loads((demo_home / "demo_summary.json").read_text())["timings_seconds"]
        plain_wall, plain_peak, out = measured([sys.executable, str(HERE / "plain_pipeline.py"), "--home", str(plain_home), *size], plain_home)
        plain_stages = json.loads(out.strip().splitlines()[-1])

    print(f"lead-scoring demo benchmark: {args.days} days x {args.leads_per_day} leads/day, {os.cpu_count()} cores")
    print(f"{'stage':<16}{'dagster (s)':>12}{'plain (s)':>12}")
    for name in demo_stages:
        print(f"{name:<16}{demo_stages[name]:>12.1f}{plain_stages.get(name, float('nan')):>12.1f}")
    print(f"{'wall time':<16}{demo_wall:>12.1f}{plain_wall:>12.1f}")
    print(f"{'peak RSS (MiB)':<16}{demo_peak:>12.0f}{plain_peak:>12.0f}")
    ratio = demo_wall / plain_wall
    print(f"orchestrated / plain = {ratio:.2f} (target <= 1.15); demo wall {demo_wall:.0f} s (target <= 120 s)")


if __name__ == "__main__":
    main()
