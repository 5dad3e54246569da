"""The `stakeholder_report` asset on the demo's state: the file, its MLflow run, and the checks that failed."""

import dagster as dg
import pytest
from dagster import DagsterInstance

from lead_scoring.ml import registry
from lead_scoring.reporting.build import REPORT_EXPERIMENT
from tests.integration import faults

pytestmark = pytest.mark.integration


def test_the_demo_report_says_every_check_passed(demo_home):
    page = (demo_home / "reports" / "latest.html").read_text()
    assert "checks that can fail passed on their latest run" in page and "what it found" not in page
    # a warning is listed as one, not as a failure (the demo's only possible one: features that add nothing)
    assert "<h3>Warnings</h3>" not in page or "features_are_beneficial" in page.split("<h3>Warnings</h3>")[1]


def test_a_failed_check_appears_in_the_report_which_is_logged_to_mlflow(demo_settings, tmp_path, monkeypatch):
    settings = faults.copy_home(demo_settings, tmp_path / "home")
    monkeypatch.setenv("LEAD_SCORING_HOME", str(settings.home))
    monkeypatch.setenv("LEAD_SCORING_WAREHOUSE_PATH", str(settings.warehouse_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", settings.mlflow_tracking_uri)
    monkeypatch.setenv("DAGSTER_HOME", str(settings.dagster_home))
    problem = "3 leads in scoring.lead_scores (3 rows) have withdrawn consent in raw.consents, e.g. L1, L2, L3"
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        instance.report_runless_asset_event(dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey("lead_scores"), check_name="no_withdrawn_consent", passed=False,
            severity=dg.AssetCheckSeverity.ERROR, description=problem))

    result = faults.run_job(settings, "weekly_report", asset_selection=[dg.AssetKey("stakeholder_report")])
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    path = metadata["path"].value
    assert path.startswith(str(settings.home / "reports"))
    page = open(path).read()
    assert "no_withdrawn_consent" in page and "have withdrawn consent in raw.consents" in page
    assert "| leads scored (7 days) |" in metadata["headline"].value

    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    experiment = client.get_experiment_by_name(REPORT_EXPERIMENT)
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)
    assert [a.path for a in client.list_artifacts(runs[0].info.run_id, "report")] == [f"report/{path.rsplit('/', 1)[1]}"]
    assert runs[0].data.metrics["leads_scored_week"] > 0
