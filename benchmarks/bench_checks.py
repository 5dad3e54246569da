"""Benchmark: what the data-quality gates cost, as a share of the pipeline.

    python benchmarks/bench_checks.py                      # the default demo size (120 days x 250 leads/day)
    python benchmarks/bench_checks.py --leads-per-day 8334 # about 1,000,000 leads, 20,000,000 activities

Runs the demo's work once with plain functions (no orchestration), timing the
pipeline's own work (reading and splitting the landing files, load, dbt models,
training set, search + MLflow logging, promotion, scoring) apart from every
check the Dagster pipeline runs on it:
source contracts, the raw Great Expectations suites, the dbt tests, the features
suite, the consent and allow-list guards on features, training set and scores,
the split-overlap, label-maturity and leakage guards.

The product runs dbt models and tests in one `dbt build`, so the tests cost
`dbt build` minus `dbt run` (two invocations on the same warehouse), not a
`dbt test` with its own start-up. Target: the checks add under 20% to the pipeline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--leads-per-day", type=int, default=250)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench_checks_"))
    os.environ["LEAD_SCORING_HOME"] = str(home)

    from lead_scoring.steps import ingest, training as training_steps, scoring as scoring_steps
    from lead_scoring.ml import dataset, registry
    from lead_scoring.ml.scoring import SCORE_COLUMNS
    from lead_scoring.quality import guards, validation
    from lead_scoring.quality.gx_project import GxProject
    from lead_scoring.settings import DBT_PROJECT_DIR, Settings
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.simulator.schema import RAW_TABLES
    from lead_scoring.tables import NON_FEATURE_COLUMNS, SCORES, TRAINING_SET

    settings = Settings.from_env()
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    days = [start + timedelta(days=i) for i in range(args.days)]
    as_of = end + timedelta(days=1)
    wh = settings.warehouse()
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    work, checks = {}, {}

    def timed(bucket, name, fn):
        started = time.perf_counter()
        result = fn()
        bucket[name] = time.perf_counter() - started
        print(f"  {'check' if bucket is checks else 'work ':<6}{name:<34}{bucket[name]:>8.1f} s", flush=True)
        return result

    def dbt(command):
        subprocess.run([str(Path(sys.executable).parent / "dbt"), command, "--project-dir", str(DBT_PROJECT_DIR),
                        "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(home / "dbt_target"), "--quiet"], check=True,
                       env=settings.child_env())

    def table_guards(table, allowed):
        assert not any(guards.unexpected_columns(wh.columns(table), allowed).values())
        assert guards.withdrawn_consent(wh, table).empty

    counts = simulate(settings.landing_dir, settings.ground_truth_dir, start, args.days, args.leads_per_day, seed=7)
    print(f"{counts['leads']:,} leads, {counts['activities']:,} activities over {args.days} days, {os.cpu_count()} cores")
    project = GxProject(home / "great_expectations")
    timed(checks, "source contracts", lambda: ingest.preflight(settings.landing_dir, list(RAW_TABLES), days))
    with ExitStack() as scratch:
        prepared = timed(work, "read, conform, quarantine split",
                         lambda: scratch.enter_context(ingest.prepared_load(wh, settings.landing_dir, list(RAW_TABLES), days)))
        timed(checks, "raw suites (GX)", lambda: validation.validate_load(project, wh, prepared))
        timed(work, "load into raw", lambda: ingest.load_tables(wh, prepared))
    timed(work, "dbt run", lambda: dbt("run"))
    started = time.perf_counter()
    dbt("build")
    checks["dbt tests"] = time.perf_counter() - started - work["dbt run"]
    print(f"  check dbt tests (dbt build - dbt run){checks['dbt tests']:>11.1f} s", flush=True)
    features = training_steps.feature_list(settings)
    names = [f.name for f in features]
    allowed = NON_FEATURE_COLUMNS | set(names)
    frame = timed(work, "read serving features", lambda: wh.query("select * from marts.lead_features_current"))
    timed(checks, "features suite (GX)", lambda: validation.validate_features(project, wh, frame, features))
    timed(checks, "features: consent + allow-list", lambda: table_guards("marts.lead_features_current", allowed))
    training_set = timed(work, "training set", lambda: training_steps.build_training_set(wh, settings)).frame
    timed(checks, "training set: consent + allow-list", lambda: table_guards(TRAINING_SET, allowed))
    timed(checks, "split overlap", lambda: dataset.split_overlap(training_set[["lead_id", "split", *names]], names))
    timed(checks, "label maturity", lambda: guards.immature_labels(training_set[["lead_id", "as_of_date"]], 30, pd.Timestamp(end)))
    timed(checks, "leakage scan", lambda: guards.leakage_scan(training_set[training_set.split == "train"], names, "converted_within_30d", set()))
    timed(work, "search + MLflow logging", lambda: training_steps.train_candidate(wh, client, settings, 7, "manual", {}))
    timed(work, "promotion", lambda: training_steps.promote_challenger(wh, client, settings))
    timed(work, "score leads", lambda: scoring_steps.score_day(wh, client, settings, as_of))
    timed(checks, "scores: consent + allow-list", lambda: table_guards(SCORES, set(SCORE_COLUMNS)))

    total_work, total_checks = sum(work.values()), sum(checks.values())
    print(f"pipeline work {total_work:.1f} s, checks {total_checks:.1f} s: "
          f"checks add {total_checks / total_work:.0%} to the pipeline (target < 20%)")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
