"""Stakeholder report generation time at the demo's default size and at 1,000,000 leads.

Running the whole pipeline for a million leads takes far longer than the
report, so the warehouse is filled with a synthetic scored history of the same
shape the daily job writes: every open lead (up to 90 days old, not yet
converted) scored every day for ``--days`` days, grades from fixed bands,
conversions drawn from each lead's propensity, plus one row per day of
prediction drift and per feature of feature drift. The report then runs
exactly as the asset runs it (without MLflow: the model card costs a few
registry calls whatever the size).

    .venv/bin/python benchmarks/bench_report.py                 # 30,000 and 1,000,000 leads
    .venv/bin/python benchmarks/bench_report.py --leads 200000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from lead_scoring import tables
from lead_scoring.tables import LOAD_STATS
from lead_scoring.reporting import build
from lead_scoring.reporting.data import CONVERSIONS
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Replacement, Warehouse

OPEN_DAYS = 90
LAST_DAY = date(2026, 6, 30)
FEATURES = [f"feature_{i:02d}" for i in range(20)]


def synthetic_history(warehouse: Warehouse, leads: int, days: int, seed: int = 7) -> int:
    """Write scores, conversions and monitoring rows for ``leads`` leads created over ``days`` days; returns score rows."""
    rng = np.random.default_rng(seed)
    first = LAST_DAY - timedelta(days=days - 1)
    created = np.sort(rng.integers(0, days, leads))
    propensity = rng.beta(1.2, 14, leads)
    converts = rng.uniform(size=leads) < propensity * 2
    converted_day = np.where(converts, created + rng.integers(0, 60, leads), np.iinfo(np.int64).max)
    bands = np.quantile(propensity, [0.9, 0.7, 0.4])
    ids = pa.compute.cast(pa.array(np.arange(leads)), pa.string())

    def day_scores(day: int) -> Replacement:
        lo, hi = np.searchsorted(created, [day - OPEN_DAYS + 1, day + 1])
        index = np.arange(lo, hi)[converted_day[lo:hi] > day]
        probability = np.clip(propensity[index] * np.exp(rng.normal(0, 0.25, len(index))), 0.0005, 0.9995)
        as_of = first + timedelta(days=day + 1)
        frame = pa.table({
            "lead_id": ids.take(pa.array(index)),
            "as_of_date": pa.array([as_of] * len(index), pa.date32()),
            "probability": probability,
            "score": np.rint(probability * 100).astype(np.int64),
            "grade": np.select([probability >= b for b in bands], ["A", "B", "C"], "D"),
            "model_name": pa.array(["lead_scoring"] * len(index)),
            "model_version": pa.array(["1"] * len(index)),
        })
        return Replacement(tables.SCORES, "as_of_date", [as_of], frame)

    rows = warehouse.replace(day_scores(day) for day in range(days))
    converted = np.flatnonzero(converted_day <= days)
    conversion_dates = pd.to_datetime([first + timedelta(days=int(d)) for d in converted_day[converted]])
    warehouse.overwrite(CONVERSIONS, pd.DataFrame({
        "lead_id": np.asarray(ids.take(pa.array(converted))), "first_converted_at": conversion_dates,
        "first_converted_date": conversion_dates.date, "n_conversions": 1}))
    dates = [first + timedelta(days=d + 1) for d in range(days)]
    warehouse.overwrite("monitoring.prediction_drift", pd.DataFrame({
        "as_of_date": dates, "psi": rng.gamma(2, 0.02, days), "share_a": 0.1, "share_b": 0.2, "share_c": 0.3,
        "share_d": 0.4, "mean_probability": propensity.mean(), "severity": "ok", "model_version": "1"}))
    warehouse.overwrite("monitoring.feature_drift", pd.DataFrame({
        "as_of_date": np.repeat(dates, len(FEATURES)), "feature": FEATURES * days, "kind": "numeric",
        "psi": rng.gamma(2, 0.03, days * len(FEATURES)), "test": "ks", "statistic": 0.1, "p_value": 0.2,
        "severity": "ok", "reference_rows": leads // 2, "current_rows": leads // days, "model_version": "1"}))
    warehouse.overwrite(LOAD_STATS, pd.DataFrame({
        "load_key": [f"leads/{d}" for d in dates], "source": "leads", "landed": leads // days,
        "loaded": leads // days, "quarantined": 0, "_landed_date": dates}))
    return rows


def bench(leads: int, days: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_report_") as folder:
        home = Path(folder)
        settings = Settings(home=home, warehouse_path=home / "warehouse.duckdb", dbt_target="dev",
                            mlflow_tracking_uri=f"sqlite:///{home}/mlflow.db", mlflow_artifacts=home / "artifacts",
                            dagster_home=home / "dagster")
        warehouse = Warehouse(settings.warehouse_path)
        started = time.perf_counter()
        rows = synthetic_history(warehouse, leads, days)
        setup = time.perf_counter() - started
        size_mb = settings.warehouse_path.stat().st_size / 1e6
        started = time.perf_counter()
        data = build.gather(warehouse, None, settings, [])
        gathered = time.perf_counter() - started
        written = build.publish(data, settings)
        total = time.perf_counter() - started
        return {"leads": leads, "days": days, "score_rows": rows, "warehouse_mb": size_mb, "setup_s": setup,
                "gather_s": gathered, "charts_html_s": total - gathered, "report_s": total, "charts": written.charts,
                "html_kb": written.path.stat().st_size / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, action="append", help="leads in the history (repeatable); default 30,000 and 1,000,000")
    parser.add_argument("--days", type=int, default=120, help="days of daily scoring (default 120, as `make demo`)")
    args = parser.parse_args()
    print(f"{'leads':>10} {'score rows':>12} {'warehouse':>10} {'setup':>8} {'SQL':>7} {'charts+html':>12} {'report':>8} {'charts':>7} {'html':>8}")
    for leads in args.leads or [30_000, 1_000_000]:
        r = bench(leads, args.days)
        print(f"{r['leads']:>10,} {r['score_rows']:>12,} {r['warehouse_mb']:>8.0f}MB {r['setup_s']:>7.1f}s {r['gather_s']:>6.2f}s "
              f"{r['charts_html_s']:>11.2f}s {r['report_s']:>7.2f}s {r['charts']:>7} {r['html_kb']:>6.0f}kB", flush=True)
    print(f"peak memory of the process (generation included): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("target: report under 30 s at 1,000,000 leads")


if __name__ == "__main__":
    main()
