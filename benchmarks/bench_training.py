"""Benchmark: the weekly retrain (dbt features, training set, search, promotion) at scale.

    python benchmarks/bench_training.py --home /tmp/bench_250 --leads 30000            # the default demo size
    python benchmarks/bench_training.py --home /tmp/bench_1m --leads 1000000           # target: < 10 min on 2 cores

The simulated history (bench_simulator-style, 120 days, seed 7) is generated and
loaded into the home's warehouse once and reused by later runs (`--prepare-only`
stops there). The timed part is what the `retrain` job does: `dbt build`, the
training set, the seeded search with calibration and evaluation, MLflow logging
and the promotion gate. Then, untimed, the best parameters are refitted on
several sample sizes to show what training on a sample costs in test ROC AUC.
Prints the load average too: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare(settings, leads: int, days: int, seed: int) -> dict:
    """Simulate and load the history once; later runs reuse it."""
    from lead_scoring.steps import ingest
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.warehouse import Warehouse

    marker = settings.home / "bench_prepared.json"
    if marker.exists():
        return json.loads(marker.read_text())
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    all_days = [start + timedelta(days=i) for i in range(days)]
    started = time.perf_counter()
    counts = simulate(settings.landing_dir, settings.ground_truth_dir, start, days, round(leads / days), seed)
    simulated = time.perf_counter() - started
    warehouse = Warehouse(settings.warehouse_path)
    ingest.load_days(warehouse, settings.landing_dir, all_days)
    ingest.load_ground_truth(warehouse, settings.ground_truth_dir, all_days)
    facts = {
        "leads": leads,
        "days": days,
        "rows": counts,
        "simulate_s": round(simulated, 1),
        "load_s": round(time.perf_counter() - started - simulated, 1),
    }
    marker.write_text(json.dumps(facts))
    return facts


def dbt_build(settings) -> None:
    from lead_scoring.settings import DBT_PROJECT_DIR

    command = [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(settings.home / "dbt_target"), "--quiet"]
    subprocess.run(command, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--leads", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args()
    os.environ["LEAD_SCORING_HOME"] = str(Path(args.home).resolve())

    from lead_scoring.settings import Settings

    settings = Settings.from_env()
    print(f"cores {os.cpu_count()}, load average before: {load_average()}", flush=True)
    facts = prepare(settings, args.leads, args.days, args.seed)
    print(f"history: {json.dumps(facts)}", flush=True)
    if args.prepare_only:
        return
    run_retrain(settings, args.seed)


def run_retrain(settings, seed: int) -> None:
    from lead_scoring.steps import training as training_steps
    from lead_scoring.ml import registry
    from lead_scoring.warehouse import Warehouse

    warehouse = Warehouse(settings.warehouse_path)
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    timings: dict[str, float] = {}

    def stage(name, fn, *a, **kw):
        started = time.perf_counter()
        result = fn(*a, **kw)
        timings[name] = round(time.perf_counter() - started, 1)
        print(f"  {name:<14}{timings[name]:>8.1f} s   (load average {load_average()})", flush=True)
        return result

    print("weekly retrain:")
    stage("dbt build", dbt_build, settings)
    frame = stage("training set", training_steps.build_training_set, warehouse, settings).frame
    candidate = stage("search+log", training_steps.train_candidate, warehouse, client, settings, seed, "manual", {"trigger_detail": "benchmark"})
    stage("promotion", training_steps.promote_challenger, warehouse, client, settings)
    outcome = candidate.outcome
    print(f"  total         {sum(timings.values()):>8.1f} s")
    print(f"  peak RSS      {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>8.0f} MiB")
    print(f"training set: {len(frame):,} rows; {json.dumps(outcome.rows)}")
    print(f"search: {outcome.search.candidates} candidates fitted on {outcome.search.search_rows:,} sampled training rows "
          f"(slowest {max(t.fit_seconds for t in outcome.search.trials):.1f} s), best {outcome.search.best.family} "
          f"{json.dumps(outcome.search.best.params)}, refitted on {outcome.search.final_rows:,} rows")
    metrics = outcome.logged_metrics()
    print("metrics: " + ", ".join(f"{name} {metrics[name]:.4f}" for name in (
        "test_roc_auc", "test_roc_auc_ci_low", "test_roc_auc_ci_high", "baseline_test_roc_auc", "bayes_test_roc_auc",
        "bayes_gap_test_roc_auc", "test_ece") if name in metrics))
    sample_cost(frame, outcome, seed)


def sample_cost(frame, outcome, seed: int) -> None:
    """Refit the chosen candidate on growing samples of the training period: the AUC a sample costs."""
    from lead_scoring.ml import search

    print("sample cost (best candidate refitted, same validation calibration, same test rows):")
    for rows, auc, seconds in search.learning_curve(frame, outcome.features, outcome.search, seed):
        print(f"  train rows {rows:>10,}  test ROC AUC {auc:.4f}  fit {seconds:6.1f} s", flush=True)


if __name__ == "__main__":
    main()
