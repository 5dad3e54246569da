"""Training, grading and the registry on small synthetic data, against a real MLflow store."""

import numpy as np
import pytest

from lead_scoring.ml import grading, registry, scoring, tracking, training
from lead_scoring.ml.search_config import SearchConfig
from lead_scoring.ml.tracking import log_training_run
from lead_scoring.settings import REGISTERED_MODEL
from tests.model.synthetic import FEATURES
from tests.model.synthetic import training_set as synthetic_training_set

SMALL_SEARCH = SearchConfig(candidates=4, logistic_candidates=2)


@pytest.fixture(scope="module")
def outcome():
    return training.train_and_evaluate(synthetic_training_set(), FEATURES, seed=7, search_config=SMALL_SEARCH)


def test_same_seed_same_data_same_metrics(outcome):
    again = training.train_and_evaluate(synthetic_training_set(), FEATURES, seed=7, search_config=SMALL_SEARCH)
    assert again.logged_metrics() == outcome.logged_metrics()
    assert again.search.table().equals(outcome.search.table().assign(fit_seconds=again.search.table().fit_seconds))
    assert {t.family for t in outcome.search.trials} == {"logistic_regression", "hist_gradient_boosting"}


def test_model_learns_signal_and_probabilities_are_calibrated(outcome):
    assert outcome.metrics["roc_auc"] > 0.6
    assert abs(outcome.metrics["mean_prediction"] - outcome.metrics["base_rate"]) < 0.05


def test_grades_follow_the_bands():
    bands = grading.fit_grade_bands(np.linspace(0, 1, 1001))
    assert bands["A"] == pytest.approx(0.9) and bands["B"] == pytest.approx(0.7) and bands["C"] == pytest.approx(0.4)
    assert list(grading.assign_grades(np.array([0.95, 0.8, 0.5, 0.1]), bands)) == ["A", "B", "C", "D"]
    assert list(grading.to_score(np.array([0.0, 0.234, 1.0]))) == [0, 23, 100]


@pytest.fixture()
def client(tmp_path):
    return registry.connect(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "artifacts")


def test_registered_model_loads_from_skops_and_scores_like_the_original(client, outcome):
    frame = synthetic_training_set()
    logged = log_training_run(client, outcome, frame, "unit test", {"trigger": "manual"}, {})
    registry.set_alias(client, registry.CHAMPION, logged.version)
    loaded = registry.load_model(client, registry.CHAMPION)
    assert str(loaded.version.version) == logged.version
    card = tracking.load_model_card(logged.run_id)
    scores = scoring.score_leads(
        frame.head(50), loaded.model, tracking.card_features(card), scoring.grade_bands_from_tags(loaded.version.tags),
        REGISTERED_MODEL, logged.version, card["reason_reference"],
    )
    direct = outcome.model.predict_proba(training.model.feature_frame(frame.head(50), FEATURES))[:, 1]
    np.testing.assert_allclose(scores.probability, direct)
    assert set(scores.grade) <= set("ABCD") and scores.score.between(0, 100).all()
    assert scores.reason_1.notna().mean() > 0.8  # a lead the model cannot tell from typical has no reason


def test_a_stored_model_names_exactly_what_scoring_it_needs(client, outcome):
    import mlflow

    logged = log_training_run(client, outcome, synthetic_training_set(), "unit test", {"trigger": "manual"}, {})
    path = mlflow.pyfunc.get_model_dependencies(f"models:/{REGISTERED_MODEL}/{logged.version}")
    requirements = open(path).read().split()
    assert {r.split("==")[0] for r in requirements} == set(tracking.MODEL_DISTRIBUTIONS)
    assert f"scikit-learn=={sklearn_version()}" in requirements


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def test_a_training_run_is_tracked_with_metrics_plots_data_and_candidates(client, outcome):
    import mlflow

    frame = synthetic_training_set()
    logged = log_training_run(client, outcome, frame, "retrain manual 2026-11-22", {"trigger": "manual"}, {})
    run = client.get_run(logged.run_id)
    assert run.info.run_name == "retrain manual 2026-11-22"
    for name in ("test_roc_auc", "test_roc_auc_ci_low", "test_roc_auc_ci_high", "test_pr_auc", "test_log_loss", "test_brier",
                 "test_ece", "test_prediction_bias", "test_precision", "test_recall", "test_f1", "test_lift_top10",
                 "test_capture_top20", "test_threshold", "baseline_test_roc_auc", "validation_roc_auc"):
        assert name in run.data.metrics, name
    assert {"git_commit", "features", "trigger", "training_data_digest", "model_family"} <= set(run.data.tags)
    inputs = {i.dataset.name: i.dataset.digest for i in run.inputs.dataset_inputs}
    assert set(inputs) == {"ml.training_set[train]", "ml.training_set[validation]", "ml.training_set[test]"}
    assert inputs["ml.training_set[train]"] == run.data.tags["training_data_digest"]
    artifacts = {a.path for folder in ("plots", "tables") for a in client.list_artifacts(logged.run_id, folder)}
    assert {"plots/roc_curve.png", "plots/precision_recall_curve.png", "plots/calibration.png", "plots/confusion_matrix.png",
            "plots/cumulative_gain_and_lift.png", "plots/permutation_importance.png", "tables/slice_metrics.json"} <= artifacts
    children = mlflow.search_runs([logged.experiment_id], f"tags.mlflow.parentRunId = '{logged.run_id}'")
    assert len(children) == SMALL_SEARCH.candidates
    assert children["metrics.validation_roc_auc"].notna().all()


def test_a_pickled_model_is_refused(client, outcome):
    import mlflow

    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            outcome.model, name="model", serialization_format="cloudpickle", registered_model_name=REGISTERED_MODEL
        )
    registry.set_alias(client, registry.CHAMPION, str(info.registered_model_version))
    with pytest.raises(registry.ModelLoadError, match="refusing to unpickle"):
        registry.load_model(client, registry.CHAMPION)


def test_missing_champion_is_a_clear_error(client):
    with pytest.raises(registry.ModelLoadError, match="no 'champion' alias"):
        registry.load_model(client, registry.CHAMPION)


def test_the_logged_data_schema_is_the_one_mlflow_infers_from_every_row():
    """The schema is typed from a sample, so a null after the sample must still make the column optional."""
    import mlflow

    rows = synthetic_training_set().drop(columns=["split"]).head(200).copy()
    rows["channel_note"] = "web"
    rows.loc[rows.index[150], "channel_note"] = None  # past the sample of 10
    rows["empty"] = None
    full = mlflow.data.from_pandas(rows, source="ml.training_set").schema
    assert tracking.dataset_schema(rows, sample=10) == full
    assert not {spec.name: spec.required for spec in full.inputs}["channel_note"]
