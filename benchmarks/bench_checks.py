"""Benchmark: what the data-quality gates cost, as a share of the pipeline.

    python benchmarks/bench_checks.py                      # the default demo size (120 days x 250 leads/day)
    python benchmarks/bench_checks.py --leads-per-day 8334 # about 1,000,000 leads, 20,000,000 activities

Times each stage of the work with plain functions (no orchestration): the
pipeline's own work (load, dbt run, training set, training) and the checks
(Great Expectations raw suites, dbt tests, the features suite, the training-set
guards). Target: the checks add under 20% to the pipeline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--leads-per-day", type=int, default=250)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench_checks_"))
    os.environ["LEAD_SCORING_HOME"] = str(home)

    from lead_scoring import ingest, steps
    from lead_scoring.ml import training
    from lead_scoring.quality import guards, validation
    from lead_scoring.quality.gx_project import GxProject
    from lead_scoring.settings import DBT_PROJECT_DIR, Settings
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.simulator.schema import RAW_TABLES

    settings = Settings.from_env()
    settings.export()
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    days = [start + timedelta(days=i) for i in range(args.days)]
    wh = settings.warehouse()
    work, checks = {}, {}

    def timed(bucket, name, fn):
        started = time.perf_counter()
        result = fn()
        bucket[name] = time.perf_counter() - started
        print(f"  {name:<28}{bucket[name]:>8.1f} s", flush=True)
        return result

    def dbt(command):
        subprocess.run([str(Path(sys.executable).parent / "dbt"), command, "--project-dir", str(DBT_PROJECT_DIR),
                        "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(home / "dbt_target"), "--quiet"], check=True)

    counts = simulate(settings.landing_dir, settings.ground_truth_dir, start, args.days, args.leads_per_day, seed=7)
    print(f"{counts['leads']:,} leads, {counts['activities']:,} activities over {args.days} days")
    project = GxProject(home / "great_expectations")
    timed(checks, "raw suites (GX)", lambda: validation.validate_load(project, wh, settings.landing_dir, list(RAW_TABLES), days))
    timed(work, "load into raw", lambda: ingest.load_days(wh, settings.landing_dir, days))
    timed(work, "dbt run", lambda: dbt("run"))
    timed(checks, "dbt test", lambda: dbt("test"))
    features = steps.feature_list(settings)
    frame = timed(work, "read serving features", lambda: wh.query("select * from marts.lead_features_current"))
    timed(checks, "features suite (GX)", lambda: validation.validate_features(project, wh, frame, features))
    training_set, _, _ = timed(work, "training set", lambda: steps.build_training_set(wh, settings))
    names = [f.name for f in features]
    timed(checks, "leakage scan", lambda: guards.leakage_scan(training_set[training_set.split == "train"], names, "converted_within_30d", set()))
    timed(checks, "consent + PII guards", lambda: (guards.withdrawn_consent(wh, "ml.training_set"),
                                                     guards.unexpected_columns(list(training_set.columns), set())))
    timed(work, "train model + baseline", lambda: training.train_and_evaluate(training_set, features, seed=7))

    total_work, total_checks = sum(work.values()), sum(checks.values())
    print(f"pipeline work {total_work:.1f} s, checks {total_checks:.1f} s: "
          f"checks add {total_checks / total_work:.0%} to the pipeline (target < 20%)")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
