"""A failing dbt test stops training and scoring in the same run, and loses nothing."""

import pytest
from dagster import DagsterInstance

from lead_scoring.definitions import build_definitions
from lead_scoring.ml import registry
from lead_scoring.warehouse import Warehouse
from tests.integration import faults

pytestmark = pytest.mark.integration


@pytest.fixture()
def copied_home(demo_settings, tmp_path):
    return faults.copy_home(demo_settings, tmp_path / "home")


def test_failing_dbt_test_skips_training_and_keeps_the_champion(copied_home):
    wh = Warehouse(copied_home.warehouse_path)
    client = registry.connect(copied_home.mlflow_tracking_uri, copied_home.mlflow_artifacts)
    champion_before = registry.version_by_alias(client, registry.CHAMPION).version
    with wh.connect() as con:  # a lead with a seniority the contract does not know, loaded now
        con.execute("insert into raw.leads by name select * replace ('astronaut' as seniority, 'LBAD' as lead_id, "
                    "cast(now() as timestamp) as _loaded_at) from raw.leads limit 1")

    job = build_definitions(copied_home).resolve_job_def("retrain")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "accepted_values_stg_leads_seniority" in failure.message + str(failure.event_specific_data.error)
    done = faults.materialized(result)
    assert "training_set" not in done and "candidate_model" not in done and "model_promotion" not in done
    assert "staging/stg_leads" in done  # dbt rebuilt it: recorded as such, its failed check beside it
    assert any(name.startswith("accepted_values_stg_leads_seniority") for name in faults.failed_checks(result))
    assert registry.version_by_alias(client, registry.CHAMPION).version == champion_before
