"""Train the model and the baseline on one split and evaluate both on the same test rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from lead_scoring.ml import baseline, grading, model
from lead_scoring.ml.dataset import LABEL
from lead_scoring.ml.features import Feature
from lead_scoring.ml.metrics import classification_metrics
from lead_scoring.simulator import world

LABEL_WINDOW_DAYS = 30


@dataclass
class TrainingOutcome:
    model: object
    features: list[Feature]
    params: dict
    seed: int
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    bayes_roc_auc: float | None
    grade_bands: dict[str, float]
    rows: dict[str, int] = field(default_factory=dict)


def bayes_probability(test: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true window probability of each test snapshot, from the simulator's ground truth."""
    joined = test[["lead_id", "as_of_date"]].merge(truth, on="lead_id", how="left", validate="many_to_one")
    if joined["p_convert"].isna().any():
        missing = joined.loc[joined["p_convert"].isna(), "lead_id"].head(5).tolist()
        raise ValueError(f"ground_truth.lead_propensity has no row for test leads such as {missing}")
    age_days = (pd.to_datetime(joined["as_of_date"]) - pd.to_datetime(joined["created_at"])) / pd.Timedelta(days=1)
    return world.window_probability(joined["p_convert"].to_numpy(), age_days.to_numpy(), LABEL_WINDOW_DAYS)


def train_and_evaluate(
    training_set: pd.DataFrame,
    features: list[Feature],
    seed: int = 7,
    params: dict | None = None,
    truth: pd.DataFrame | None = None,
) -> TrainingOutcome:
    """``training_set`` holds mature snapshots with a ``split`` column (train / validation / test)."""
    parts = {name: training_set[training_set["split"] == name] for name in ("train", "validation", "test")}
    for name, part in parts.items():
        if part[LABEL].nunique() < 2:
            raise ValueError(f"the {name} split has {len(part)} rows and only one outcome: the history is too short")
    y = {name: part[LABEL].to_numpy(dtype=int) for name, part in parts.items()}
    params = {**model.DEFAULT_PARAMS, **(params or {})}

    fitted = model.train_calibrated(parts["train"], y["train"], parts["validation"], y["validation"], features, params, seed)
    rules = baseline.for_features(features).fit(parts["train"], y["train"])
    test_x = model.feature_frame(parts["test"], features)
    bayes = None
    if truth is not None:
        bayes = float(roc_auc_score(y["test"], bayes_probability(parts["test"], truth)))
    return TrainingOutcome(
        model=fitted,
        features=features,
        params=params,
        seed=seed,
        metrics=classification_metrics(y["test"], fitted.predict_proba(test_x)[:, 1]),
        baseline_metrics=classification_metrics(y["test"], rules.predict_proba(parts["test"])),
        bayes_roc_auc=bayes,
        grade_bands=grading.fit_grade_bands(
            fitted.predict_proba(model.feature_frame(parts["validation"], features))[:, 1]
        ),
        rows={name: len(part) for name, part in parts.items()},
    )
