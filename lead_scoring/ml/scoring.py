"""Score the current leads with the champion: probability, 0-100 score, grade."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd

from lead_scoring.ml import grading, model
from lead_scoring.ml.features import Feature

SCORE_COLUMNS = [
    "lead_id",
    "as_of_date",
    "probability",
    "score",
    "grade",
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
) -> pd.DataFrame:
    """One row per lead of ``current`` (the ``lead_features_current`` mart)."""
    probability = fitted_model.predict_proba(model.feature_frame(current, features))[:, 1] if len(current) else []
    return pd.DataFrame(
        {
            "lead_id": current["lead_id"].astype(str).to_numpy(),
            "as_of_date": pd.to_datetime(current["as_of_date"]).dt.date.to_numpy(),
            "probability": probability,
            "score": grading.to_score(probability),
            "grade": grading.assign_grades(probability, grade_bands),
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
