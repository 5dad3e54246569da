"""`lead-scoring land`: a CRM's own tables, by their source mapping, as the home's landing days; then the platform on them.

The first landing runs the demo's job sequence through Dagster on the landed
history (one ingestion backfill, `retrain`, `daily_scoring` for the last day,
`weekly_report`); a later one runs `daily_scoring` for each new landing day,
as the schedule would. Runs show in the Dagster UI of the home (`make ui`).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from lead_scoring.app.demo import run_history, run_job
from lead_scoring.errors import LeadScoringError
from lead_scoring.ml import registry
from lead_scoring.platform.dbt_cli import prepare_manifest
from lead_scoring.platform.instance import ensure_dagster_home
from lead_scoring.platform.runs import JobRunner
from lead_scoring.settings import Settings
from lead_scoring.simulator import exports, landing
from lead_scoring.simulator.schema import RAW_TABLES
from lead_scoring.steps import crm_landing
from lead_scoring.steps.ingest import mapped_source
from lead_scoring.warehouse import Warehouse


class LandingError(LeadScoringError):
    pass


def land_and_run(settings: Settings, mapping_file: Path, root: Path | None, run: bool, out: Callable[[str], None] = print) -> dict:
    started = time.perf_counter()
    report = crm_landing.land_source(settings, mapping_file, root=root)
    timings = {"land": time.perf_counter() - started}
    out(report.render())
    if not run or not report.complete_days:
        return {"landing": report, "timings_seconds": timings}
    ensure_dagster_home(settings.dagster_home)
    if not settings.dbt_manifest_path.exists():
        prepare_manifest(settings)
    # A day runs once every table has delivered it, and once it is over (UTC: its partition opens at midnight):
    # a delivery landed today runs tomorrow, by the schedule.
    runnable = [d for d in report.complete_days if d < datetime.now(timezone.utc).date()]
    if len(runnable) < len(report.complete_days):
        out(f"  {report.complete_days[-1]} is today: its daily run starts once the day is over (the `daily_scoring` schedule)")
    runner = JobRunner(settings)
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    if registry.version_by_alias(client, registry.CHAMPION) is None:
        start, end = settings.history_start(), (runnable or [settings.history_start()])[-1]
        if (end - start).days < 1:
            raise LandingError(f"landing days {start} .. {end} are no history to train on: land at least two whole days")
        run_history(runner, start, end - timedelta(days=1), end, out, timings)
    elif runnable:
        out(f"[daily] ingesting and scoring {', '.join(map(str, runnable))} (job `daily_scoring`)")
        timings["daily_scoring"] = sum(run_job(runner, "daily_scoring", out, partition_key=d.isoformat()) for d in runnable)
    out("[report] feature catalog and stakeholder report (job `weekly_report`)")
    timings["report"] = run_job(runner, "weekly_report", out)
    return {"landing": report, "timings_seconds": {k: round(v, 2) for k, v in timings.items()}}


def export_shape(settings: Settings, shape: str, target: Path | None) -> str:
    """The home's simulated landing days written as a CRM would hand them over (for trying a mapping, and the parity test).

    ``target``: the folder of the CSV deliveries (hubspot), or the warehouse (a DuckDB file or Postgres URL) to sync the
    tables into (salesforce; default: the home's own)."""
    if not landing.landed_days(settings.landing_dir, "leads") or mapped_source(settings.landing_dir):
        raise LandingError(f"{settings.landing_dir} holds no simulated CRM: run `lead-scoring demo` in this home first")
    if shape == "hubspot":
        if target is None:
            raise LandingError("the hubspot shape is a folder of CSV files: pass --to FOLDER")
        files = exports.write_hubspot(settings.landing_dir, Path(target), tuple(RAW_TABLES))
        return f"wrote {files} CSV deliveries under {target} (map them with examples/mappings/crm_hubspot_style.yml --root {target})"
    warehouse = Warehouse(str(target)) if target is not None else settings.landing_warehouse()  # a CRM's tables hold personal data
    rows = exports.write_salesforce(settings.landing_dir, warehouse, tuple(RAW_TABLES))
    return (f"wrote {rows} rows into {exports.SYNC_SCHEMA}.* of {warehouse} (map them with examples/mappings/crm_salesforce_sync.yml "
            "in a home whose warehouse that is)")

