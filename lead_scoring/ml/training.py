"""One training run: search, calibrate, and evaluate the model, the rules baseline and the Bayes limit on the same test rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance as sklearn_importance

from lead_scoring.ml import baseline, explain, feature_costs, grading, model, search
from lead_scoring.ml.dataset import LABEL, SPLITS
from lead_scoring.ml.evaluation import Evaluation, bayes_probability, evaluate
from lead_scoring.ml.features import Feature
from lead_scoring.ml.thresholds import ThresholdRule
from lead_scoring.policies import FeatureCostPolicy, LeakagePolicy

IMPORTANCE_ROWS = 5_000
IMPORTANCE_REPEATS = 3
BENEFIT_SIGMAS = 2.0  # a feature is beneficial when its permutation AUC drop exceeds this many standard deviations


@dataclass
class TrainingOutcome:
    model: object
    features: list[Feature]
    seed: int
    search: search.SearchResult
    threshold_rule: ThresholdRule
    threshold: float
    evaluation: Evaluation
    baseline_evaluation: Evaluation
    bayes_evaluation: Evaluation | None
    grade_bands: dict[str, float]
    reference: dict[str, object]
    importance: pd.DataFrame
    costs: feature_costs.FeatureCosts
    rows: dict[str, int]
    baseline_rule: str
    test_predictions: pd.DataFrame  # the label and each scorer's probability on the test rows

    @property
    def metrics(self) -> dict[str, float]:
        return self.evaluation.metrics

    @property
    def baseline_metrics(self) -> dict[str, float]:
        return self.baseline_evaluation.metrics

    @property
    def bayes_roc_auc(self) -> float | None:
        return None if self.bayes_evaluation is None else self.bayes_evaluation.metrics["roc_auc"]

    def logged_metrics(self) -> dict[str, float]:
        """Every metric of the run under the names MLflow (and the report) use."""
        metrics = {
            **self.evaluation.prefixed("test_"),
            **self.baseline_evaluation.prefixed("baseline_test_"),
            "validation_roc_auc": self.search.best.validation_roc_auc,
        }
        worst = self.evaluation.slices["roc_auc"].min()
        if np.isfinite(worst):
            metrics["test_min_slice_roc_auc"] = float(worst)
        if self.bayes_evaluation is not None:
            metrics["bayes_test_roc_auc"] = self.bayes_roc_auc
            metrics["bayes_gap_test_roc_auc"] = self.bayes_roc_auc - self.metrics["roc_auc"]
        return metrics


def permutation_importance(fitted, test: pd.DataFrame, features: list[Feature], seed: int) -> pd.DataFrame:
    """Drop in test ROC AUC when one feature's values are shuffled (on a sample of the test rows)."""

    rows = search.sample_rows(test, IMPORTANCE_ROWS, seed)
    result = sklearn_importance(
        fitted, model.feature_frame(rows, features), rows[LABEL].to_numpy(dtype=int), scoring="roc_auc",
        n_repeats=IMPORTANCE_REPEATS, random_state=seed, n_jobs=1,
    )
    table = pd.DataFrame({"feature": [f.name for f in features], "mean_auc_drop": result.importances_mean,
                          "std_auc_drop": result.importances_std})
    return table.sort_values("mean_auc_drop", ascending=False, kind="stable").reset_index(drop=True)


def not_beneficial(importance: pd.DataFrame, sigmas: float = BENEFIT_SIGMAS) -> pd.DataFrame:
    """The rows of a :func:`permutation_importance` table whose AUC drop is not above noise: mean - sigmas x std <= 0.

    Such a feature costs computing, documenting and monitoring and buys the model nothing it can measure (it may
    duplicate another feature, or be noise); worth a look, not a block.
    """
    return importance[importance["mean_auc_drop"] - sigmas * importance["std_auc_drop"] <= 0].reset_index(drop=True)


def split_parts(training_set: pd.DataFrame) -> dict[str, pd.DataFrame]:
    parts = {name: training_set[training_set["split"] == name] for name in SPLITS}
    for name, part in parts.items():
        if part[LABEL].nunique() < 2:
            raise ValueError(f"the {name} split has {len(part)} rows and only one outcome: the history is too short")
    return parts


def train_and_evaluate(
    training_set: pd.DataFrame,
    features: list[Feature],
    seed: int = 7,
    truth: pd.DataFrame | None = None,
    search_config: search.SearchConfig | None = None,
    threshold_rule: ThresholdRule | None = None,
    leakage: LeakagePolicy = LeakagePolicy(),
    feature_cost: FeatureCostPolicy = FeatureCostPolicy(),
) -> TrainingOutcome:
    """``training_set`` holds mature snapshots with a ``split`` column (train / validation / test)."""
    with model.model_threads():
        return _train_and_evaluate(training_set, features, seed, truth, search_config, threshold_rule, leakage, feature_cost)


def _train_and_evaluate(training_set, features, seed, truth, search_config, threshold_rule, leakage, feature_cost) -> TrainingOutcome:
    parts = split_parts(training_set)
    search_config = search_config or search.SearchConfig()
    threshold_rule = threshold_rule or ThresholdRule()
    result = search.run_search(parts["train"], parts["validation"], features, search_config, seed)
    fitted = search.fit_winner(parts["train"], parts["validation"], features, result, search_config, seed)

    validation_p = model.predict(fitted, parts["validation"], features)
    threshold = threshold_rule.threshold(validation_p)
    test = parts["test"]
    y_test = test[LABEL].to_numpy(dtype=int)
    rules = baseline.for_features(features, leakage).fit(parts["train"], parts["train"][LABEL].to_numpy(dtype=int))
    baseline_threshold = threshold_rule.threshold(rules.predict_proba(parts["validation"]))
    predictions = pd.DataFrame({"label": y_test, "model": model.predict(fitted, test, features),
                                "rules baseline": rules.predict_proba(test)})
    bayes = None
    if truth is not None:
        # The Bayes-optimal probability is calibrated by construction: the cost-ratio threshold applies as is.
        predictions["Bayes limit"] = bayes_probability(test, truth)
        bayes = evaluate(test, y_test, predictions["Bayes limit"], threshold_rule.threshold(predictions["Bayes limit"]), seed,
                         "the Bayes limit")
    return TrainingOutcome(
        model=fitted,
        features=features,
        seed=seed,
        search=result,
        threshold_rule=threshold_rule,
        threshold=threshold,
        evaluation=evaluate(test, y_test, predictions["model"], threshold, seed, "the candidate model"),
        baseline_evaluation=evaluate(test, y_test, predictions["rules baseline"], baseline_threshold, seed, "the rules baseline"),
        bayes_evaluation=bayes,
        grade_bands=grading.fit_grade_bands(validation_p),
        reference=explain.population_reference(parts["train"], features),
        importance=permutation_importance(fitted, test, features, seed),
        costs=feature_costs.measure(parts["train"], parts["validation"], features, result.best, feature_cost, seed),
        rows={name: len(part) for name, part in parts.items()},
        baseline_rule=rules.rule,
        test_predictions=predictions,
    )
