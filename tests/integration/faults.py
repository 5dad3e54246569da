"""Helpers for fault-injection tests: copy a good demo home, land a bad day, run a job on it."""

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from dagster import DagsterEventType, DagsterInstance

from lead_scoring.definitions import build_definitions
from lead_scoring.ml import registry
from lead_scoring.settings import Settings
from lead_scoring.simulator import landing
from lead_scoring.simulator.generator import simulate
from lead_scoring.simulator.scenarios import Scenario
from lead_scoring.warehouse import Warehouse


def copy_home(source: Settings, target: Path) -> Settings:
    shutil.copytree(source.home, target)
    return Settings(
        home=target,
        warehouse_path=target / "warehouse.duckdb",
        dbt_target=source.dbt_target,
        mlflow_tracking_uri=f"sqlite:///{target / 'mlflow' / 'mlflow.db'}",
        mlflow_artifacts=target / "mlflow" / "artifacts",
        dagster_home=target / "dagster",
    )


def land_days(settings: Settings, scenario: str, extra_days: int = 1, from_day: int | None = None) -> list[date]:
    """Extend the simulated history by ``extra_days`` with ``scenario`` active from ``from_day`` (default: the first new day)."""
    plan = landing.read_manifest(settings.landing_dir)
    start, days = date.fromisoformat(plan["start_date"]), plan["days"]
    begins = days if from_day is None else from_day
    simulate(settings.landing_dir, settings.ground_truth_dir, start, days + extra_days, plan["leads_per_day"],
             plan["seed"], (Scenario(scenario, begins),), write_from_day=min(begins, days))
    return [start + timedelta(days=i) for i in range(min(begins, days), days + extra_days)]


def first_day(settings: Settings) -> date:
    return date.fromisoformat(landing.read_manifest(settings.landing_dir)["start_date"])


@dataclass
class Snapshot:
    """What must survive a blocked run: the champion, the scores, the raw rows of earlier days."""

    champion: str
    scores: pd.DataFrame
    raw_counts: dict[str, int]


def snapshot(settings: Settings, before: date) -> Snapshot:
    wh = Warehouse(settings.warehouse_path)
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    counts = {t: int(wh.query(f"select count(*) as n from raw.{t} where _landed_date < ?", [before]).n.iloc[0])
              for t in ("leads", "activities", "conversions", "consents", "campaigns")}
    scores = wh.query("select * from scoring.lead_scores order by as_of_date, lead_id")
    return Snapshot(str(registry.version_by_alias(client, registry.CHAMPION).version), scores, counts)


def rows_landed_on(settings: Settings, day: date) -> dict[str, pd.DataFrame]:
    """Per raw table, the rows of one landing day (with their load time): what a blocked day must not change."""
    wh = Warehouse(settings.warehouse_path)
    return {t: wh.query(f"select * from raw.{t} where _landed_date = ? order by 1, _loaded_at", [day])
            for t in ("leads", "activities", "conversions", "consents", "campaigns")}


def run_job(settings: Settings, job_name: str, **kwargs):
    job = build_definitions(settings).resolve_job_def(job_name)
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)


def failed_checks(result) -> dict[str, str]:
    """check name -> description, for every check that failed in the run."""
    failed = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                failed[evaluation.check_name] = evaluation.description or ""
    return failed


def check_evaluations(result) -> dict[tuple[str, str], object]:
    """(asset, check name) -> the check's evaluation, for every check evaluated in the run."""
    return {
        (e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name): e.event_specific_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def range_tags(days: list[date]) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": days[0].isoformat(), "dagster/asset_partition_range_end": days[-1].isoformat()}


def run_checks(settings: Settings, table: str):
    """Run only the asset checks of one table's asset, as the UI's "Execute checks" button does."""
    import dagster as dg

    key = {"scoring.lead_scores": dg.AssetKey("lead_scores"), "ml.training_set": dg.AssetKey("training_set")}[table]
    job = dg.define_asset_job("checks_only", selection=dg.AssetSelection.checks_for_assets(key))
    defs = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[job]))
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        return defs.resolve_job_def("checks_only").execute_in_process(instance=instance, raise_on_error=False)
