"""Benchmark: the simulator at scale, streamed day by day in bounded memory.

    python benchmarks/bench_simulator.py --leads 1000000 --days 120

Prints wall time, rows written per table, Parquet size and peak memory.
Memory stays bounded because only the leads inside their open life are kept.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from lead_scoring.simulator.generator import simulate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    args = parser.parse_args()
    per_day = round(args.leads / args.days)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        counts = simulate(Path(tmp) / "landing", Path(tmp) / "truth", date(2026, 1, 1), args.days, per_day, seed=7)
        wall = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*.parquet")) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"simulator: {args.days} days x {per_day} leads/day")
    for table, rows in counts.items():
        print(f"  {table:<12}{rows:>12,} rows")
    print(f"  wall time   {wall:>12.1f} s ({counts['activities'] / wall:,.0f} activities/s)")
    print(f"  parquet     {size:>12.0f} MiB")
    print(f"  peak RSS    {peak:>12.0f} MiB")


if __name__ == "__main__":
    main()
