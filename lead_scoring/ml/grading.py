"""Turning probabilities into what sales acts on: a 0-100 score and a grade A-D.

Grade bands are probability thresholds fixed at training time from the
validation period (A: top 10% of leads, B: next 20%, C: next 30%, D: the rest)
and stored with the model version, so a grade means the same thing every day
until the next model.
"""

from __future__ import annotations

import numpy as np

GRADE_SHARES = {"A": 0.10, "B": 0.20, "C": 0.30}  # D takes the rest


def fit_grade_bands(validation_probability: np.ndarray) -> dict[str, float]:
    """Minimum probability for grades A, B and C."""
    p = np.asarray(validation_probability, dtype=float)
    bands, top_share = {}, 0.0
    for grade, share in GRADE_SHARES.items():
        top_share += share
        bands[grade] = float(np.quantile(p, 1.0 - top_share))
    return bands


def assign_grades(probability: np.ndarray, bands: dict[str, float]) -> np.ndarray:
    p = np.asarray(probability, dtype=float)
    return np.select([p >= bands["A"], p >= bands["B"], p >= bands["C"]], ["A", "B", "C"], "D")


def to_score(probability: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(np.asarray(probability, dtype=float), 0.0, 1.0) * 100).astype(int)
