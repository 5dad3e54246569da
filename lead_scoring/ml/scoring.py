"""Score the current leads with the champion: probability, 0-100 score, grade and the top three reasons."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from lead_scoring.ml import explain, grading, model
from lead_scoring.ml.features import Feature
from lead_scoring.ml.probabilities import require_valid

REASON_COLUMNS = [f"reason_{i}" for i in range(1, explain.REASONS + 1)]

SCORE_COLUMNS = [
    "lead_id",
    "as_of_date",
    "probability",
    "score",
    "grade",
    *REASON_COLUMNS,
    "model_name",
    "model_version",
    "scored_at",
]


def score_leads(
    current: pd.DataFrame,
    fitted_model,
    features: list[Feature],
    grade_bands: dict[str, float],
    model_name: str,
    model_version: str,
    reason_reference: dict[str, object],
    effects_of=explain.effects,
) -> pd.DataFrame:
    """One row per lead of ``current`` (the ``lead_features_current`` mart).

    ``reason_reference`` holds the training population's typical feature
    values recorded with the model (see :mod:`lead_scoring.ml.explain`);
    ``effects_of`` computes what :func:`lead_scoring.ml.explain.effects` defines (the platform has a faster way
    for its models); the probabilities come with the effects, not from a prediction of their own.
    """
    with model.model_threads():
        probability, effect = effects_of(fitted_model, current, features, reason_reference)
    scorer = f"{model_name} version {model_version}"
    require_valid(probability, f"{scorer} on marts.lead_features_current", current["lead_id"])
    # An effect is the difference of two probabilities: outside [-1, 1], or NaN, a variant's probability was invalid.
    require_valid(effect, f"{scorer}'s reasons (the leads with one feature set to typical)", current["lead_id"], low=-1.0)
    reasons = explain.top_reasons(current, features, reason_reference, effect)
    # A string dtype even when every reason is empty, so the table's column type never depends on the day.
    reason_columns = {column: pd.array(reasons[:, i], dtype="string") for i, column in enumerate(REASON_COLUMNS)}
    return pd.DataFrame(
        {
            "lead_id": current["lead_id"].astype(str).to_numpy(),
            "as_of_date": pd.to_datetime(current["as_of_date"]).dt.date.to_numpy(),
            "probability": probability,
            "score": grading.to_score(probability),
            "grade": grading.assign_grades(probability, grade_bands),
            **reason_columns,
            "model_name": model_name,
            "model_version": str(model_version),
            "scored_at": datetime.now(timezone.utc).replace(tzinfo=None),
        },
        columns=SCORE_COLUMNS,
    )


def grade_bands_from_tags(tags: dict[str, str]) -> dict[str, float]:
    missing = [g for g in grading.GRADE_SHARES if f"grade_band_{g}" not in tags]
    if missing:
        raise ValueError(f"model version tags lack grade bands for {missing}: was it registered by the retrain job?")
    return {g: float(tags[f"grade_band_{g}"]) for g in grading.GRADE_SHARES}
