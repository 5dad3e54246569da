"""Training, grading and the registry on small synthetic data, against a real MLflow store."""

import numpy as np
import pandas as pd
import pytest

from lead_scoring.ml import grading, registry, scoring, training
from lead_scoring.ml.features import Feature
from lead_scoring.ml.tracking import log_training_run
from lead_scoring.settings import REGISTERED_MODEL

FEATURES = [
    Feature("demo_requested_30d", "numeric", ""),
    Feature("pricing_page_view_30d", "numeric", ""),
    Feature("form_submit_30d", "numeric", ""),
    Feature("webinar_attended_30d", "numeric", ""),
    Feature("email_click_30d", "numeric", ""),
    Feature("seniority", "categorical", ""),
    Feature("has_campaign", "boolean", ""),
]


def synthetic_training_set(n=3000, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(-2, 1, n)
    frame = pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "as_of_date": pd.Timestamp("2026-03-01"),
            "lead_created_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n) * 60 // n, unit="D"),
            "demo_requested_30d": rng.poisson(np.exp(z + 1.5)),
            "pricing_page_view_30d": rng.poisson(np.exp(z + 2)),
            "form_submit_30d": rng.poisson(0.5, n),
            "webinar_attended_30d": rng.poisson(0.2, n),
            "email_click_30d": rng.poisson(1, n),
            "seniority": rng.choice(["junior", "mid", "vp"], n),
            "has_campaign": rng.random(n) < 0.5,
        }
    )
    frame["converted_within_30d"] = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    frame["split"] = np.select([np.arange(n) >= 0.85 * n, np.arange(n) >= 0.7 * n], ["test", "validation"], "train")
    return frame


@pytest.fixture(scope="module")
def outcome():
    return training.train_and_evaluate(synthetic_training_set(), FEATURES, seed=7)


def test_same_seed_same_data_same_metrics(outcome):
    again = training.train_and_evaluate(synthetic_training_set(), FEATURES, seed=7)
    assert again.metrics == outcome.metrics
    assert again.baseline_metrics == outcome.baseline_metrics


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
    logged = log_training_run(client, outcome, frame[frame.split == "test"], "unit test", {"trigger": "manual"}, {})
    registry.set_alias(client, registry.CHAMPION, logged.version)
    loaded = registry.load_model(client, registry.CHAMPION)
    assert str(loaded.version.version) == logged.version
    scores = scoring.score_leads(
        frame.head(50), loaded.model, FEATURES, scoring.grade_bands_from_tags(loaded.version.tags), REGISTERED_MODEL, logged.version
    )
    direct = outcome.model.predict_proba(training.model.feature_frame(frame.head(50), FEATURES))[:, 1]
    np.testing.assert_allclose(scores.probability, direct)
    assert set(scores.grade) <= set("ABCD") and scores.score.between(0, 100).all()


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
