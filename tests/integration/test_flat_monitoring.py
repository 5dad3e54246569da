"""Monitoring of a home whose source is a flat export: the same monitors, over the export's populations.

The first import is scored and monitored through Dagster by `lead-scoring import`
(no drift from itself, the export fresh). A later export of the same CRM is then
judged against the champion's reference: drift when its leads changed, none when
they did not, and live performance from the outcomes it records for leads that
were open when scored.
"""

import os
from datetime import date, timedelta

import pandas as pd
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from lead_scoring import tables
from lead_scoring.settings import Settings
from tests.conftest import home_env, run_cli
from tests.integration.test_flat_shapes import wide_export

pytestmark = pytest.mark.integration


def _later_export(first, folder, moved_share: float):
    """The same CRM exported again: a third of the open leads (the best by `metric 0`) have since converted,
    and ``moved_share`` of all leads changed `colour 0` to red."""
    frame = pd.read_csv(first, sep="\t", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    still_open = frame[frame["closed_won"] == "no"]
    converted = still_open["metric 0"].astype(float).nlargest(len(still_open) // 3).index
    frame.loc[converted, "closed_won"] = "yes"
    frame.loc[frame.sample(frac=moved_share, random_state=0).index, "colour 0"] = "red"
    path = folder / f"wide_{moved_share}.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + frame.to_csv(sep="\t", index=False).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flat_monitoring")
    export, mapping = wide_export(folder)
    home = folder / "home"
    run_cli(["import", str(export), "--mapping", str(mapping)], home)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(home_env(home))
    try:
        settings = Settings.from_env()  # the settings the CLI ran with
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return dict(folder=folder, export=export, mapping=mapping, home=home, settings=settings)


def test_the_import_monitors_its_scores_through_dagster(imported):
    settings = imported["settings"]
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        runs = instance.get_runs()
    assert {r.job_name for r in runs} == {"retrain", "daily_scoring"} and all(r.status == DagsterRunStatus.SUCCESS for r in runs)
    warehouse = settings.warehouse()
    drift = warehouse.query(f"select * from {tables.FEATURE_DRIFT}")
    assert len(drift) and set(drift.severity) == {"ok"}  # the scored leads are the reference's population
    assert warehouse.query(f"select severity from {tables.PREDICTION_DRIFT}").severity.tolist() == ["ok"]
    fresh = warehouse.query(f"select * from {tables.SOURCE_FRESHNESS}")
    assert fresh.source.tolist() == ["flat_export:wide_crm"] and fresh.severity.tolist() == ["ok"]
    live = warehouse.query(f"select * from {tables.LIVE_PERFORMANCE}")
    assert live.roc_auc.isna().all() and (live.labelled_rows == 0).all()  # nothing scored before this import


@pytest.fixture(scope="module")
def champion(imported):
    from lead_scoring.ml import registry

    client = registry.connect(imported["settings"].mlflow_tracking_uri, imported["settings"].mlflow_artifacts)
    version = registry.version_by_alias(client, registry.CHAMPION)
    return client, str(version.version)


def _reimport(imported, moved_share: float) -> date:
    from lead_scoring.flat import importer
    from lead_scoring.platform.dbt_cli import dbt_build

    report = importer.import_export(imported["settings"], imported["mapping"], _later_export(imported["export"], imported["folder"], moved_share))
    dbt_build(imported["settings"])
    return date.fromisoformat(report.imported_at[:10])


@pytest.mark.parametrize("moved_share, expected", [(0.0, "ok"), (0.6, "error")])
def test_a_later_export_drifts_only_when_its_leads_changed(imported, champion, moved_share, expected):
    from lead_scoring.steps import monitoring as compute

    as_of = _reimport(imported, moved_share)
    frame = compute.feature_drift(imported["settings"].warehouse(), imported["settings"], as_of, champion[1])
    moved = frame.set_index("feature").loc["colour_0"]
    assert moved.severity == expected, frame[["feature", "psi", "severity"]]
    assert set(frame[frame.feature != "colour_0"].severity) == {"ok"}


def test_live_performance_labels_earlier_scores_with_a_later_exports_outcomes(imported, champion):
    from lead_scoring.steps import monitoring as compute

    settings = imported["settings"]
    warehouse = settings.warehouse()
    scored = warehouse.query(f"select lead_id from {tables.SCORES}")
    as_of = _reimport(imported, 0.0)
    # The first import's scores stand for a week ago; the later export records which of those leads converted since.
    warehouse.execute(f"update {tables.SCORES} set as_of_date = ?", [as_of - timedelta(days=7)])
    frame = compute.live_performance(warehouse, settings, as_of, champion[1], 0.7).set_index("window_days")
    resolved = warehouse.query("select count(*) as n from staging.stg_flat_export where converted is not null and lead_id in "
                               f"(select lead_id from {tables.SCORES})").n.iloc[0]
    assert frame.loc[7, "labelled_rows"] == frame.loc[28, "labelled_rows"] == resolved == len(scored)
    assert 0.5 < frame.loc[7, "roc_auc"] <= 1.0
    assert frame.loc[28, "positives"] > 20
