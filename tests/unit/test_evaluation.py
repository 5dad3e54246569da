"""Evaluation metrics, thresholds and slices against hand-checked values and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from lead_scoring.ml import metrics
from lead_scoring.ml.evaluation import evaluate
from lead_scoring.ml.thresholds import ThresholdRule


def noisy_scores(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 8, n)
    y = (rng.random(n) < p).astype(int)
    return y, p


def test_fast_auc_matches_scikit_learn_with_ties_and_weights():
    y, p = noisy_scores()
    rounded = np.round(p, 2)  # many ties
    weights = np.random.default_rng(1).integers(0, 3, len(y)).astype(float)
    assert metrics.weighted_roc_auc(y, rounded) == pytest.approx(roc_auc_score(y, rounded))
    assert metrics.weighted_roc_auc(y, rounded, weights) == pytest.approx(roc_auc_score(y, rounded, sample_weight=weights))


def test_bootstrap_interval_brackets_the_auc_and_is_seeded():
    y, p = noisy_scores()
    groups = np.arange(len(y)) // 4  # four rows per lead
    low, high = metrics.roc_auc_interval(y, p, groups, seed=3)
    assert low < metrics.weighted_roc_auc(y, p) < high and high - low < 0.1
    assert metrics.roc_auc_interval(y, p, groups, seed=3) == (low, high)


def test_calibration_error_is_small_when_calibrated_and_large_when_not():
    y, p = noisy_scores(20_000)
    assert metrics.expected_calibration_error(y, p) < 0.01
    assert metrics.expected_calibration_error(y, np.minimum(p * 2, 1)) > 0.05
    assert metrics.classification_metrics(y, p * 2)["prediction_bias"] == pytest.approx(p.mean(), abs=0.01)


def test_lift_capture_and_threshold_metrics_by_hand():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    lift, capture = metrics.lift_and_capture(y, p, 0.2)  # top 2 leads: both converted
    assert lift == pytest.approx(1.0 / 0.3) and capture == pytest.approx(2 / 3)
    at = metrics.threshold_metrics(y, p, 0.5)  # calls 5 leads, 3 convert
    assert at["precision"] == pytest.approx(0.6) and at["recall"] == pytest.approx(1.0) and at["f1"] == pytest.approx(0.75)


def test_threshold_rules():
    validation = np.linspace(0, 1, 101)
    assert ThresholdRule("capacity", top_share=0.1).threshold(validation) == pytest.approx(0.9)
    assert ThresholdRule("cost_ratio", cost_ratio=4).threshold(validation) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="not one of"):
        ThresholdRule("gut_feeling")
    with pytest.raises(ValueError, match="top_share"):
        ThresholdRule(top_share=1.5)


def test_slices_cover_each_value_and_skip_one_outcome_slices():
    y, p = noisy_scores(3000)
    frame = pd.DataFrame({"lead_id": np.arange(3000) // 3, "country": np.where(np.arange(3000) % 2, "US", "DE"),
                          "seniority": "vp"})
    frame.loc[:9, "country"] = "FR"
    y[:10] = 0  # FR: ten rows, no conversion
    result = evaluate(frame, y, p, threshold=0.2, seed=1)
    table = result.slices.set_index(["slice", "value"])
    assert set(table.index) == {("country", "DE"), ("country", "US"), ("country", "FR"), ("seniority", "vp")}
    assert np.isnan(table.loc[("country", "FR"), "roc_auc"]) and table.loc[("country", "FR"), "rows"] == 10
    assert table.loc[("seniority", "vp"), "roc_auc"] == pytest.approx(result.metrics["roc_auc"])
    assert {"roc_auc_ci_low", "precision", "recall", "f1", "lift_top10", "capture_top20", "ece"} <= set(result.metrics)
    assert result.worst_slice(min_rows=100)["value"] in {"DE", "US", "vp"}


def test_an_export_without_slice_columns_passes_the_gate_with_no_slice_to_judge():
    """A flat export need not have any of the slice columns: an empty slice table, which the promotion gate accepts."""
    from lead_scoring.ml.promotion import decide
    from lead_scoring.policies import PromotionPolicy

    y, p = noisy_scores(1000)
    slices = evaluate(pd.DataFrame({"lead_id": np.arange(1000), "revenue": p}), y, p, threshold=0.2).slices
    assert slices.empty and {"roc_auc", "roc_auc_ci_low", "roc_auc_ci_high"} <= set(slices.columns)
    from lead_scoring.quality.guards import LeakageEvidence

    decision = decide(0.8, 0.7, None, 0.01, slices, PromotionPolicy(), leakage=LeakageEvidence("revenue", 0.7, {}))
    assert decision.promote and "no slice has" in decision.reasons[-2] and "no country" in decision.reasons[-1]
