"""Benchmark: the same `lead-scoring demo` on a DuckDB warehouse and on a Postgres warehouse.

Each run simulates, ingests the history, builds the dbt features (dbt-duckdb vs
dbt-postgres), trains, promotes and scores, through Dagster, in a fresh home
(and, for Postgres, a fresh uniquely named database on the local server,
dropped afterwards). Prints wall time, per-stage times and peak memory of each,
and the ratio. Target: Postgres within 2x of DuckDB.

    python benchmarks/bench_postgres.py                       # default size: 120 days x 250 leads/day
    python benchmarks/bench_postgres.py --leads-per-day 8334  # ~1,000,000 leads

Peak memory is the largest process of the run (the lead-scoring process tree);
the Postgres server's own memory is not included.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_demo import BIN, measured  # noqa: E402
from tests.postgres import fresh_databases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", default="120")
    parser.add_argument("--leads-per-day", default="250")
    parser.add_argument("--seed", default="7")
    args = parser.parse_args()
    demo = [str(BIN / "lead-scoring"), "demo", "--days", args.days, "--leads-per-day", args.leads_per_day, "--seed", args.seed]
    results = {}
    with tempfile.TemporaryDirectory() as tmp, fresh_databases("ls_bench", "warehouse") as urls:
        for engine, extra_env in [("duckdb", {}), ("postgres", {"LEAD_SCORING_WAREHOUSE_URL": urls["warehouse"]})]:
            home = Path(tmp) / engine
            wall, peak, _ = measured(demo, home, extra_env)
            summary = json.loads((home / "demo_summary.json").read_text())
            results[engine] = {"wall": wall, "peak": peak, "stages": summary["timings_seconds"],
                               "leads": summary["generated"]["leads"], "scored": summary["scored_leads"],
                               "auc": (summary["champion"] or {}).get("metrics", {}).get("test_roc_auc")}

    duck, pg = results["duckdb"], results["postgres"]
    print(f"warehouse benchmark: demo {args.days} days x {args.leads_per_day} leads/day ({duck['leads']} leads), "
          f"{os.cpu_count()} cores")
    print(f"{'stage':<16}{'duckdb (s)':>12}{'postgres (s)':>14}{'ratio':>8}")
    for name, seconds in duck["stages"].items():
        print(f"{name:<16}{seconds:>12.1f}{pg['stages'][name]:>14.1f}{pg['stages'][name] / seconds:>8.2f}")
    print(f"{'wall time':<16}{duck['wall']:>12.1f}{pg['wall']:>14.1f}{pg['wall'] / duck['wall']:>8.2f}")
    print(f"{'peak RSS (MiB)':<16}{duck['peak']:>12.0f}{pg['peak']:>14.0f}{pg['peak'] / duck['peak']:>8.2f}")
    print(f"{'leads scored':<16}{duck['scored']:>12}{pg['scored']:>14}")
    print(f"{'ROC AUC':<16}{duck['auc'] or float('nan'):>12.3f}{pg['auc'] or float('nan'):>14.3f}")
    print(f"postgres / duckdb wall = {pg['wall'] / duck['wall']:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()
