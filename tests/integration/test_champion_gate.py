"""The promotion gate's verdict is recorded either way, and scoring never starts without a loadable champion."""

import dataclasses
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from lead_scoring.definitions import build_definitions
from lead_scoring.ml import registry
from lead_scoring.policies import Policies, PromotionPolicy
from lead_scoring.settings import REGISTERED_MODEL
from lead_scoring.warehouse import Warehouse
from tests.integration import faults

pytestmark = pytest.mark.integration


@pytest.fixture()
def good_home(demo_settings, tmp_path):
    return faults.copy_home(demo_settings, tmp_path / "home")


def test_the_demo_champion_has_reasons_and_a_recorded_decision(demo_settings):
    client = registry.connect(demo_settings.mlflow_tracking_uri, demo_settings.mlflow_artifacts)
    champion = registry.version_by_alias(client, registry.CHAMPION)
    assert champion.tags["promotion_decision"] == "promoted"
    assert champion.tags["promotion_reasons"].startswith("PASS") and "FAIL" not in champion.tags["promotion_reasons"]
    scores = Warehouse(demo_settings.warehouse_path).query("select reason_1, reason_2, reason_3 from scoring.lead_scores")
    # A lead the (small, isotonic-calibrated) model cannot tell from the typical lead has no reason.
    assert scores.reason_1.notna().mean() > 0.5
    assert scores.reason_1.dropna().str.endswith(("(+)", "(-)")).all()
    assert not (scores.reason_2.notna() & scores.reason_1.isna()).any()


def test_a_strict_gate_rejects_and_says_why(good_home):
    client = registry.connect(good_home.mlflow_tracking_uri, good_home.mlflow_artifacts)
    champion_before = registry.version_by_alias(client, registry.CHAMPION).version
    job = dg.define_asset_job("promote_only", selection=dg.AssetSelection.assets("model_promotion"))
    strict = dataclasses.replace(good_home, policies=Policies(promotion=PromotionPolicy(max_ece=0.0)))  # LEAD_SCORING_PROMOTION_MAX_ECE=0
    defs = dg.Definitions.merge(build_definitions(strict), dg.Definitions(jobs=[job]))
    with dg.DagsterInstance.from_config(str(good_home.dagster_home)) as instance:
        result = defs.resolve_job_def("promote_only").execute_in_process(instance=instance)
    metadata = result.asset_materializations_for_node("model_promotion")[0].metadata
    assert metadata["decision"].value == "rejected"
    assert "FAIL: expected calibration error" in metadata["reasons"].value
    tags = client.get_model_version(REGISTERED_MODEL, registry.version_by_alias(client, registry.CHALLENGER).version).tags
    assert tags["promotion_decision"] == "rejected" and "FAIL: expected calibration error" in tags["promotion_reasons"]
    assert registry.version_by_alias(client, registry.CHAMPION).version == champion_before


def test_scoring_is_blocked_without_a_loadable_champion(good_home):
    client = registry.connect(good_home.mlflow_tracking_uri, good_home.mlflow_artifacts)
    client.delete_registered_model_alias(REGISTERED_MODEL, registry.CHAMPION)
    (day,) = faults.land_days(good_home, "clean")
    scores_before = Warehouse(good_home.warehouse_path).query("select * from scoring.lead_scores order by as_of_date, lead_id")
    result = faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat())
    assert not result.success
    failed = faults.failed_checks(result)
    assert "no 'champion' alias" in failed["champion_loads"]
    assert "lead_scores" not in faults.materialized(result)
    after = Warehouse(good_home.warehouse_path).query("select * from scoring.lead_scores order by as_of_date, lead_id")
    pd.testing.assert_frame_equal(after, scores_before)


class _ReturnsNan:
    """The real champion, but every 20th lead gets NaN: what a broken calibration or a model of another kind gives."""

    def __init__(self, fitted):
        self.fitted = fitted

    def predict_proba(self, x):
        p = self.fitted.predict_proba(x)
        p[::20] = float("nan")
        return p


def test_a_champion_that_returns_nan_fails_the_day_and_writes_no_scores(good_home, monkeypatch):
    (day,) = faults.land_days(good_home, "clean")
    scores_before = Warehouse(good_home.warehouse_path).query("select * from scoring.lead_scores order by as_of_date, lead_id")
    loaded = registry.load_model

    def broken(client, alias=registry.CHAMPION, number=None):
        model = loaded(client, alias, number)
        return dataclasses.replace(model, model=_ReturnsNan(model.model)) if alias == registry.CHAMPION else model

    monkeypatch.setattr(registry, "load_model", broken)
    result = faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat())
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "lead_scores")
    assert "not a finite number in [0, 1]" in failure.event_specific_data.error.to_string()
    after = Warehouse(good_home.warehouse_path).query("select * from scoring.lead_scores order by as_of_date, lead_id")
    pd.testing.assert_frame_equal(after, scores_before)

    monkeypatch.setattr(registry, "load_model", loaded)  # the same day with the champion as it is: scored
    assert faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat()).success
    scored = Warehouse(good_home.warehouse_path).query("select probability from scoring.lead_scores where as_of_date > ?", [day])
    assert len(scored) > 0 and scored.probability.between(0, 1).all()


def test_scoring_with_other_libraries_than_the_champion_was_trained_with_warns(good_home):
    from lead_scoring.ml import dependencies

    client = registry.connect(good_home.mlflow_tracking_uri, good_home.mlflow_artifacts)
    champion = registry.version_by_alias(client, registry.CHAMPION)
    assert dependencies.as_tags(dependencies.installed()).items() <= champion.tags.items()  # recorded at training
    job = dg.define_asset_job("champion_only", selection=dg.AssetSelection.assets("champion_model"))
    defs = dg.Definitions.merge(build_definitions(good_home), dg.Definitions(jobs=[job]))

    def verdict():
        with dg.DagsterInstance.from_config(str(good_home.dagster_home)) as instance:
            result = defs.resolve_job_def("champion_only").execute_in_process(instance=instance)
        [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "libraries_unchanged_since_training"]
        return evaluation

    assert verdict().passed  # the versions it was trained with
    client.set_model_version_tag(REGISTERED_MODEL, champion.version, "library_scikit-learn", "1.5.0")
    warned = verdict()
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
    assert f"scikit-learn 1.5.0 -> {dependencies.installed()['scikit-learn']}" in warned.description


def _promote(settings, *assets: str):
    job = dg.define_asset_job("promotion_test", selection=dg.AssetSelection.assets(*assets))
    defs = dg.Definitions.merge(build_definitions(settings), dg.Definitions(jobs=[job]))
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        result = defs.resolve_job_def("promotion_test").execute_in_process(instance=instance)
    promoted = result.asset_materializations_for_node("model_promotion")
    return promoted[0].metadata if promoted else None


def test_the_challenger_is_shadow_scored_beside_the_champion_on_the_open_leads(good_home):
    """A retrain on the same data with the same seed gives the same model: every open lead keeps its grade."""
    client = registry.connect(good_home.mlflow_tracking_uri, good_home.mlflow_artifacts)
    champion_before = registry.version_by_alias(client, registry.CHAMPION).version
    metadata = _promote(good_home, "candidate_model", "model_promotion")
    challenger = registry.version_by_alias(client, registry.CHALLENGER).version
    assert challenger != champion_before
    open_leads = len(Warehouse(good_home.warehouse_path).query("select lead_id from marts.lead_features_current"))
    assert 0 < metadata["shadow_leads"].value <= open_leads
    assert metadata["shadow_grade_agreement"].value == 1.0 and metadata["shadow_score_psi"].value < 1e-6
    assert sum(metadata[f"shadow_grade_{g}_challenger"].value for g in "ABCD") == pytest.approx(1.0)
    assert f"shadow scoring of {metadata['shadow_leads'].value} open leads: 100.0% keep their grade" in metadata["reasons"].value
    tags = client.get_model_version(REGISTERED_MODEL, challenger).tags
    assert tags["promotion_shadow_grade_agreement"] == "1.0000"


def test_a_challenger_that_cannot_be_loaded_is_refused_and_the_champion_stays(good_home):
    client = registry.connect(good_home.mlflow_tracking_uri, good_home.mlflow_artifacts)
    champion_before = registry.version_by_alias(client, registry.CHAMPION).version
    _promote(good_home, "candidate_model")
    challenger = registry.version_by_alias(client, registry.CHALLENGER)
    location = client.get_logged_model(challenger.source.rsplit("/", 1)[-1]).artifact_location
    stored = Path(location.removeprefix("file://")) / "model.skops"
    assert stored.exists(), location
    stored.write_bytes(b"not a skops file")

    metadata = _promote(good_home, "model_promotion")
    assert metadata["decision"].value == "rejected"
    assert f"FAIL: challenger version {challenger.version} cannot be loaded (" in metadata["reasons"].value
    tags = client.get_model_version(REGISTERED_MODEL, challenger.version).tags
    assert tags["promotion_decision"] == "rejected" and "cannot be loaded" in tags["promotion_reasons"]
    assert registry.version_by_alias(client, registry.CHAMPION).version == champion_before
