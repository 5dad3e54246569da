"""The same work as `lead-scoring demo`, in one plain process without Dagster.

This is the notebook a team would otherwise run: simulate, load, dbt, train,
promote, score, monitor, report. It calls the same library functions the
Dagster assets call, by the same fastest means: dbt through its programmatic
API in this process (as the runs do, see ``platform/dbt_in_process.py``) and
a DuckDB warehouse held open for each stage (as for each run). The difference
in wall time is then the cost of orchestration.

    python benchmarks/plain_pipeline.py --home /tmp/plain --days 120 --leads-per-day 250
"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--leads-per-day", type=int, default=250)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ["LEAD_SCORING_HOME"] = str(Path(args.home).resolve())

    from lead_scoring.steps import ingest, training as training_steps, scoring as scoring_steps
    from lead_scoring import tables
    from lead_scoring.ml import registry
    from lead_scoring.steps import monitoring as compute
    from lead_scoring.reporting import build
    from lead_scoring.quality import validation
    from lead_scoring.quality.gx_project import GxProject
    from lead_scoring.simulator.schema import RAW_TABLES
    from lead_scoring.settings import DBT_PROJECT_DIR, Settings, environment
    from lead_scoring.warehouse.duckdb_engine import keep_open
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.platform.dbt_cli import PIPELINE_EXCLUDES

    settings = Settings.from_env()
    timings: dict[str, float] = {}

    def stage(name, fn, *a, **kw):
        started = time.perf_counter()
        with nullcontext() if settings.warehouse_url else keep_open(settings.warehouse_path, settings.duckdb_limits):
            result = fn(*a, **kw)
        timings[name] = round(time.perf_counter() - started, 2)
        return result

    def dbt(*args: str, target: str = "dbt_target", as_of: date | None = None) -> None:
        from dbt.cli.main import dbtRunner

        command = [*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                   "--target-path", str(settings.home / target), "--quiet"]
        with environment({**settings.dbt_env(), "LEAD_SCORING_AS_OF_DATE": as_of.isoformat() if as_of else ""}):
            result = dbtRunner().invoke(command)
        if not result.success:
            raise SystemExit(f"dbt {' '.join(args)} failed: {result.exception or 'see the log above'}")

    def dbt_build(*extra: str, as_of: date | None = None) -> None:
        dbt("build", *PIPELINE_EXCLUDES, *extra, as_of=as_of)

    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=args.days - 1)
    days = [start + timedelta(days=i) for i in range(args.days)]
    warehouse = settings.warehouse()
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    project = GxProject(settings.home / "great_expectations")

    def checked_load(load_days):  # the same gates as the Dagster ingestion: contracts, suites, then the load
        assert not any(ingest.preflight(settings.landing_dir, list(RAW_TABLES), load_days).values())
        with ingest.prepared_load(warehouse, settings.landing_dir, list(RAW_TABLES), load_days) as prepared:
            outcomes = validation.validate_load(project, warehouse, prepared)
            assert all(o.success for o in outcomes.values()), outcomes
            ingest.load_tables(warehouse, prepared)

    def checked_features():
        features = training_steps.feature_list(settings)
        frame = warehouse.query("select * from marts.lead_features_current")
        assert all(o.success for _, o in validation.validate_features(project, warehouse, frame, features))

    stage("simulate", simulate, settings.landing_dir, settings.ground_truth_dir, start, args.days, args.leads_per_day, args.seed)
    stage("ingest", lambda: (checked_load(days[:-1]),
                             ingest.load_ground_truth(warehouse, settings.ground_truth_dir, days)))
    stage("retrain", lambda: (dbt_build(), checked_features(), training_steps.build_training_set(warehouse, settings),
                              training_steps.train_candidate(warehouse, client, settings, args.seed, "manual", {}),
                              training_steps.promote_challenger(warehouse, client, settings),
                              compute.record_retrain(warehouse, client, settings, "plain", "manual")))
    as_of = end + timedelta(days=1)

    def monitor():  # the daily job's monitoring assets, in their order
        champion = registry.version_by_alias(client, registry.CHAMPION)
        version, test_auc = str(champion.version), compute.champion_test_roc_auc(client, champion)
        compute.write(warehouse, tables.FEATURE_DRIFT, compute.feature_drift(warehouse, settings, as_of, version), as_of)
        compute.write(warehouse, tables.PREDICTION_DRIFT, compute.prediction_drift(warehouse, settings, as_of, version), as_of)
        compute.write(warehouse, tables.LIVE_PERFORMANCE, compute.live_performance(warehouse, settings, as_of, version, test_auc), as_of)

    def report():  # the feature catalog and the stakeholder report (no Dagster: no check outcomes to list)
        dbt("docs", "generate", "--static", target="dbt_docs")
        written = build.publish(build.gather(warehouse, client, settings, [], {}), settings)
        build.log_to_mlflow(written, settings)

    stage("daily_scoring", lambda: (compute.write(warehouse, tables.SOURCE_FRESHNESS, compute.source_freshness(settings, settings.landing_dir, as_of), as_of),
                                    checked_load([end]),
                                    dbt_build("--select", "+lead_features_current", "--indirect-selection", "cautious", as_of=as_of),
                                    checked_features(),
                                    scoring_steps.score_day(warehouse, client, settings, as_of),
                                    monitor()))
    stage("report", report)
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
