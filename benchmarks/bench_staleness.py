"""Benchmark: what a model's age costs. Models trained on data ending 0, 7, 14, 28 and 56 days before a fixed
test period, each on the same length of history, are scored on that period: test ROC AUC and calibration by age.

    python benchmarks/bench_staleness.py --home /tmp/bench_stale                         # clean, seasonality, concept drift
    python benchmarks/bench_staleness.py --home /tmp/bench_stale --world concept_drift@90 --leads-per-day 1000

"Data ending g days before" means the labels known g days before the test period starts: snapshots whose
30-day label window had closed by then (a model trained that day could not know later outcomes). Every model
gets the same `--window-days` of such snapshots, so only its age differs. The test period is the last
`--test-days` days of leads whose labels have all matured; no test lead is in any training window. Each world
is simulated and built once (dbt) in its own home under --home, reused by later runs.
The model-age policy (LEAD_SCORING_RETRAIN_MAX_MODEL_AGE_DAYS) is chosen from these figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date, timedelta
from pathlib import Path

LABEL_DAYS = 30  # the label window (dbt var label_window_days)


def prepared(home: Path, world: str, days: int, leads_per_day: int, seed: int):
    """The world's home: simulated, loaded and built once."""
    os.environ["LEAD_SCORING_HOME"] = str(home)
    from lead_scoring.platform.dbt_cli import dbt_build
    from lead_scoring.settings import Settings
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.simulator.scenarios import Scenario
    from lead_scoring.steps import ingest

    settings = Settings.from_env()
    marker = home / "staleness_prepared"
    if not marker.exists():
        end = date(2026, 9, 30)
        start = end - timedelta(days=days - 1)
        scenarios = () if world == "clean" else (Scenario.parse(world),)
        simulate(settings.landing_dir, settings.ground_truth_dir, start, days, leads_per_day, seed, scenarios)
        warehouse = settings.warehouse()
        all_days = [start + timedelta(days=i) for i in range(days)]
        ingest.load_days(warehouse, settings.landing_dir, all_days)
        ingest.load_ground_truth(warehouse, settings.ground_truth_dir, all_days)
        dbt_build(settings)
        marker.write_text(world)
    return settings


def by_age(settings, gaps: list[int], window_days: int, test_days: int, seed: int) -> list[dict]:
    import pandas as pd

    from lead_scoring.ml import dataset, training
    from lead_scoring.ml.search_config import SearchConfig
    from lead_scoring.steps.training import GROUND_TRUTH, feature_list

    warehouse = settings.warehouse()
    snapshots = dataset.in_canonical_order(warehouse.query("select * from marts.lead_snapshots where label_is_mature"))
    truth = warehouse.query(f"select lead_id, created_at, p_convert from {GROUND_TRUTH}")
    as_of, created = pd.to_datetime(snapshots["as_of_date"]), pd.to_datetime(snapshots["lead_created_date"])
    test_end = as_of.max()
    test_start = test_end - pd.Timedelta(days=test_days - 1)
    test = snapshots[created >= test_start].assign(split="test")
    features = feature_list(settings)
    rows = []
    for gap in gaps:
        known_by = test_start - pd.Timedelta(days=gap)  # the day the model is trained: labels closed before it
        newest = known_by - pd.Timedelta(days=LABEL_DAYS)
        window = snapshots[(as_of < newest) & (as_of >= newest - pd.Timedelta(days=window_days)) & (created < test_start)]
        cut = pd.to_datetime(window["lead_created_date"]).quantile(0.8)  # the newest fifth of the leads calibrates
        frame = pd.concat([window.assign(split=["validation" if c >= cut else "train" for c in pd.to_datetime(window["lead_created_date"])]), test])
        started = time.perf_counter()
        outcome = training.train_and_evaluate(frame, features, seed, truth, SearchConfig(candidates=6, logistic_candidates=2))
        metrics = outcome.metrics
        rows.append({"age_days": gap, "trained_on": f"{(newest - pd.Timedelta(days=window_days)).date()}..{(newest - pd.Timedelta(days=1)).date()}",
                     "training_rows": outcome.rows["train"] + outcome.rows["validation"], "test_rows": outcome.rows["test"],
                     "roc_auc": metrics["roc_auc"], "ci": f"{metrics['roc_auc_ci_low']:.3f}-{metrics['roc_auc_ci_high']:.3f}",
                     "bayes_gap": outcome.bayes_roc_auc - metrics["roc_auc"], "ece": metrics["ece"],
                     "mean_prediction": metrics["mean_prediction"], "base_rate": metrics["base_rate"],
                     "seconds": round(time.perf_counter() - started, 1)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, type=Path)
    parser.add_argument("--world", action="append", default=[],
                        help="clean, or a world shift NAME@DAY (repeatable); default: clean, seasonality, concept_drift@90")
    parser.add_argument("--days", type=int, default=210)
    parser.add_argument("--leads-per-day", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--gaps", default="0,7,14,28,56")
    parser.add_argument("--window-days", type=int, default=60)
    parser.add_argument("--test-days", type=int, default=28)
    args = parser.parse_args()
    gaps = [int(g) for g in args.gaps.split(",")]
    for world in args.world or ["clean", "seasonality", "concept_drift@90"]:
        started = time.perf_counter()
        settings = prepared(args.home / world.replace("@", "_at_"), world, args.days, args.leads_per_day, args.seed)
        rows = by_age(settings, gaps, args.window_days, args.test_days, args.seed)
        fresh = rows[0]["roc_auc"]
        print(f"\n## {world} ({args.days} days x {args.leads_per_day} leads/day, seed {args.seed}; "
              f"{args.window_days}-day training windows; {time.perf_counter() - started:.0f} s)\n")
        print("| model age (days) | trained on snapshots | training rows | test rows | test ROC AUC (95% CI) | vs age 0 | gap to Bayes | ECE | mean prediction / base rate |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['age_days']} | {r['trained_on']} | {r['training_rows']} | {r['test_rows']} | {r['roc_auc']:.4f} ({r['ci']}) | "
                  f"{r['roc_auc'] - fresh:+.4f} | {r['bayes_gap']:.4f} | {r['ece']:.4f} | {r['mean_prediction']:.3f} / {r['base_rate']:.3f} |")


if __name__ == "__main__":
    main()
