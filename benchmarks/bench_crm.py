"""Benchmark: one simulated world through the native landing and as two CRM export shapes, each through Dagster.

    python benchmarks/bench_crm.py --days 120 --leads-per-day 250

For each way in (``native``: the simulator's landing; ``hubspot``: a folder of daily
CSV files; ``salesforce``: tables synced into the warehouse), a fresh home runs what
`lead-scoring land` runs: land (conform to the raw contract), then through the home's
Dagster instance one `ingestion` backfill, `retrain`, `daily_scoring` for the last day
and `weekly_report`; then one more day is delivered and landed, and `daily_scoring` runs
for it. Prints, per shape, the rows landed, the training rows and features, the
champion's test ROC AUC against the baseline, and the wall time of each step.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

MAPPINGS = Path(__file__).resolve().parents[1] / "examples" / "mappings"


def _home_settings(home: Path):
    from lead_scoring.settings import Settings

    return dataclasses.replace(Settings.from_env(), home=home, warehouse_path=home / "warehouse.duckdb",
                               mlflow_tracking_uri=f"sqlite:///{home / 'mlflow' / 'mlflow.db'}", mlflow_artifacts=home / "mlflow" / "artifacts",
                               dagster_home=home / "dagster")


def _hold_back(landing: Path, day: date, held: Path) -> None:
    for path in landing.glob(f"*/{day.isoformat()}.parquet"):
        (held / path.parent.name).mkdir(parents=True, exist_ok=True)
        path.rename(held / path.parent.name / path.name)


def run_shape(shape: str, world: Path, work: Path, last: date) -> dict:
    from lead_scoring.app import crm
    from lead_scoring.app.demo import run_job
    from lead_scoring.simulator import exports, landing
    from lead_scoring.simulator.schema import RAW_TABLES

    settings = _home_settings(work / shape)
    settings.home.mkdir(parents=True)
    source = work / f"{shape}_source"  # the world as the CRM hands it over, the last day held back
    shutil.copytree(world, source / "landing")
    _hold_back(source / "landing", last, work / f"{shape}_held")
    if shape == "native":
        mapping = None
        shutil.copytree(source / "landing", settings.landing_dir)
        shutil.copytree(world.parent / "truth", settings.ground_truth_dir)
        landing.write_manifest(settings.landing_dir, {"start_date": min(landing.landed_days(settings.landing_dir, "leads")).isoformat()})
    elif shape == "hubspot":
        mapping, root = MAPPINGS / "crm_hubspot_style.yml", work / "hubspot_export"
        exports.write_hubspot(source / "landing", root, tuple(RAW_TABLES))
    else:
        mapping, root = MAPPINGS / "crm_salesforce_sync.yml", None
        exports.write_salesforce(source / "landing", settings.warehouse(), tuple(RAW_TABLES))
    quiet = lambda line: None
    started = time.perf_counter()
    if mapping is None:
        from lead_scoring.app.demo import run_history
        from lead_scoring.platform.dbt_cli import prepare_manifest
        from lead_scoring.platform.instance import ensure_dagster_home
        from lead_scoring.platform.runs import JobRunner

        ensure_dagster_home(settings.dagster_home)
        if not settings.dbt_manifest_path.exists():
            prepare_manifest(settings)
        timings = {"land": 0.0}
        runner = JobRunner(settings)
        first_end = last - timedelta(days=1)
        run_history(runner, settings.history_start(), first_end - timedelta(days=1), first_end, quiet, timings)
        timings["report"] = run_job(runner, "weekly_report", quiet)
    else:
        timings = crm.land_and_run(settings, mapping, root, True, quiet)["timings_seconds"]
    timings["first_total"] = time.perf_counter() - started
    # the next day's delivery: the CRM hands over its whole history again, the held-back day included
    for path in (work / f"{shape}_held").rglob("*.parquet"):
        shutil.copy(path, (settings.landing_dir if shape == "native" else source / "landing") / path.parent.name / path.name)
    started = time.perf_counter()
    if shape == "native":
        from lead_scoring.platform.runs import JobRunner

        run_job(JobRunner(settings), "daily_scoring", quiet, partition_key=last.isoformat())
    else:
        if shape == "hubspot":
            exports.write_hubspot(source / "landing", root, tuple(RAW_TABLES))
        else:
            exports.write_salesforce(source / "landing", settings.warehouse(), tuple(RAW_TABLES))
        started = time.perf_counter()
        timings["next_day_land"] = crm.land_and_run(settings, mapping, root, True, quiet)["timings_seconds"]["land"]
    timings["next_day"] = time.perf_counter() - started
    return {"shape": shape, **_figures(settings), "seconds": {k: round(v, 1) for k, v in timings.items()}}


def _figures(settings) -> dict:
    from lead_scoring.app import status

    report = status.collect(settings)
    warehouse = settings.warehouse()
    rows = {t: int(warehouse.query(f"select count(*) as n from raw.{t}").n.iloc[0]) for t in ("leads", "activities", "conversions")}
    training = warehouse.query("select * from ml.training_set limit 1")
    features = [c for c in training.columns if c not in ("lead_id", "as_of_date", "converted_within_30d", "label_is_mature", "split")
                and not c.startswith("_")]
    return {"raw_rows": rows, "training_rows": int(warehouse.query("select count(*) as n from ml.training_set").n.iloc[0]),
            "features": len(features), "test_roc_auc": round(report["champion"]["metrics"]["test_roc_auc"], 4),
            "baseline_roc_auc": round(report["baseline_roc_auc"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--leads-per-day", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shapes", default="native,hubspot,salesforce")
    args = parser.parse_args()
    from lead_scoring.simulator.generator import simulate

    work = Path(tempfile.mkdtemp(prefix="bench_crm_"))
    last = date.today() - timedelta(days=1)
    simulate(work / "world", work / "truth", last - timedelta(days=args.days - 1), args.days, args.leads_per_day, seed=args.seed)
    results = [run_shape(shape, work / "world", work, last) for shape in args.shapes.split(",")]
    for result in results:
        print(json.dumps(result))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
