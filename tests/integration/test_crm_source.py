"""A mapped CRM source through the product as a user runs it: `lead-scoring land`, then the Dagster jobs of `make demo`.

The simulated world is exported as a HubSpot-style folder of daily CSV files; the first `land` runs ingestion,
retrain, daily scoring and the report through the home's Dagster instance; a later delivery lands as a new day
and is scored by `daily_scoring`; a delivery changed after it landed is refused and changes nothing.
"""

import json
import shutil
from datetime import date, timedelta

import pytest

from lead_scoring.settings import PROJECT_DIR
from tests.conftest import run_cli

pytestmark = pytest.mark.integration
MAPPING = PROJECT_DIR / "examples" / "mappings" / "crm_hubspot_style.yml"


def test_a_mapped_source_runs_the_demo_jobs_then_scores_each_new_delivery(tmp_path):
    from lead_scoring.simulator import exports
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.simulator.schema import RAW_TABLES
    from lead_scoring.warehouse import Warehouse

    end = date.today() - timedelta(days=10)
    simulate(tmp_path / "sim" / "landing", tmp_path / "sim" / "truth", end - timedelta(days=64), 65, 60, seed=7)
    export, held = tmp_path / "export", tmp_path / "held"
    exports.write_hubspot(tmp_path / "sim" / "landing", export, tuple(RAW_TABLES))
    for path in export.rglob(f"*_{end.isoformat()}.csv"):  # the last day arrives later
        (held / path.parent.name).mkdir(parents=True, exist_ok=True)
        path.rename(held / path.parent.name / path.name)
    home = tmp_path / "home"

    first = run_cli(["land", "--mapping", str(MAPPING), "--root", str(export)], home, timeout=1500)
    for job in ("ingestion", "retrain", "daily_scoring", "weekly_report"):
        assert f"  {job}: run " in first.stdout and "succeeded" in first.stdout, first.stdout
    assert f"landed 64 days of crm:hubspot_style" in first.stdout
    status = json.loads(run_cli(["status", "--json"], home).stdout)
    assert status["champion"] and status["source"]["kind"] == "mapped_crm" and status["source"]["name"] == "crm:hubspot_style"
    warehouse = Warehouse(home / "warehouse.duckdb")
    scored = lambda: warehouse.query("select max(as_of_date) as d from scoring.lead_scores").d.iloc[0].date()
    assert scored() == end  # the last landed day (end - 1) scored as of the next morning
    assert (home / "reports" / "latest.html").exists()

    for path in held.rglob("*.csv"):
        shutil.move(path, export / path.parent.name / path.name)
    daily = run_cli(["land", "--mapping", str(MAPPING), "--root", str(export)], home, timeout=900)
    assert f"landed 1 days of crm:hubspot_style: {end} .. {end}" in daily.stdout and "  daily_scoring: run " in daily.stdout
    assert "retrain: run" not in daily.stdout and scored() == end + timedelta(days=1)
    assert "no new delivery to land" in run_cli(["land", "--mapping", str(MAPPING), "--root", str(export), "--no-run"], home).stdout

    landed = {p: p.read_bytes() for p in (home / "landing").rglob("*") if p.is_file()}
    changed = next(export.glob("contacts/*.csv"))
    changed.write_text(changed.read_text().replace("Organic Search", "Organic"))
    refused = run_cli(["land", "--mapping", str(MAPPING), "--root", str(export)], home, check=False)
    assert refused.returncode == 2 and "changed since it landed" in refused.stderr and str(changed) in refused.stderr
    assert "Traceback" not in refused.stderr
    assert {p: p.read_bytes() for p in (home / "landing").rglob("*") if p.is_file()} == landed


def test_the_crm_landing_job_lands_deliveries_by_run_config(tmp_path):
    """The UI's way: the `crm_landing` job of the code location, its run config the mapping and the root."""
    import dataclasses

    import dagster as dg

    from lead_scoring.definitions import build_definitions
    from lead_scoring.settings import Settings
    from lead_scoring.simulator import exports, landing
    from lead_scoring.simulator.generator import simulate
    from lead_scoring.simulator.schema import RAW_TABLES

    simulate(tmp_path / "sim", tmp_path / "truth", date(2026, 5, 1), 3, 20, seed=3)
    exports.write_hubspot(tmp_path / "sim", tmp_path / "export", tuple(RAW_TABLES))
    home = tmp_path / "home"
    settings = dataclasses.replace(Settings.from_env(), home=home, warehouse_path=home / "warehouse.duckdb", dagster_home=home / "dagster")
    job = build_definitions(settings).resolve_job_def("crm_landing")
    config = {"ops": {"landing__crm_deliveries": {"config": {"mapping": str(MAPPING), "root": str(tmp_path / "export")}}}}
    result = job.execute_in_process(run_config=config, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    metadata = result.asset_materializations_for_node("landing__crm_deliveries")[0].metadata
    assert metadata["landed_days"].value == "2026-05-01, 2026-05-02, 2026-05-03" and metadata["source"].value == "crm:hubspot_style"
    assert landing.landed_days(settings.landing_dir, "activities") == [date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)]
    bad = {"ops": {"landing__crm_deliveries": {"config": {"mapping": str(MAPPING), "root": str(tmp_path / "nowhere")}}}}
    failed = job.execute_in_process(run_config=bad, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not failed.success and "delivery folder" in str(failed.all_events)  # nothing new: the days landed stay as they were
    assert landing.landed_days(settings.landing_dir, "activities") == [date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)]
