"""A failing dbt test stops training and scoring in the same run, and loses nothing."""

import shutil

import pytest
from dagster import DagsterInstance

from lead_scoring.definitions import build_definitions
from lead_scoring.ml import registry
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Warehouse

pytestmark = pytest.mark.integration


@pytest.fixture()
def copied_home(demo_settings, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_settings.home, home)
    return Settings(
        home=home,
        warehouse_path=home / "warehouse.duckdb",
        dbt_target=demo_settings.dbt_target,
        mlflow_tracking_uri=f"sqlite:///{home / 'mlflow' / 'mlflow.db'}",
        mlflow_artifacts=home / "mlflow" / "artifacts",
        dagster_home=home / "dagster",
    )


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_failing_dbt_test_skips_training_and_keeps_the_champion(copied_home, monkeypatch):
    monkeypatch.setenv("LEAD_SCORING_WAREHOUSE_PATH", str(copied_home.warehouse_path))
    wh = Warehouse(copied_home.warehouse_path)
    client = registry.connect(copied_home.mlflow_tracking_uri, copied_home.mlflow_artifacts)
    champion_before = registry.version_by_alias(client, registry.CHAMPION).version
    with wh.connect() as con:  # a lead with a seniority the contract does not know
        con.execute("insert into raw.leads by name select * replace ('astronaut' as seniority, 'LBAD' as lead_id) from raw.leads limit 1")

    job = build_definitions(copied_home).resolve_job_def("retrain")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "accepted_values_stg_leads_seniority" in failure.message + str(failure.event_specific_data.error)
    done = _materialized(result)
    assert "training_set" not in done and "candidate_model" not in done and "model_promotion" not in done
    assert "staging/stg_leads" not in done
    assert registry.version_by_alias(client, registry.CHAMPION).version == champion_before
