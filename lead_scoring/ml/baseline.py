"""The rules-based baseline a sales team would write by hand; every model must beat it.

Points for strong buying signals in the last 30 days and for seniority, turned
into a probability by a one-variable logistic fit on the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

ACTIVITY_POINTS = {
    "demo_requested_30d": 30,
    "pricing_page_view_30d": 10,
    "form_submit_30d": 8,
    "webinar_attended_30d": 5,
    "email_click_30d": 2,
}
SENIORITY_POINTS = {"senior": 5, "director": 10, "vp": 15, "c_level": 15}


def rule_points(frame: pd.DataFrame) -> np.ndarray:
    points = np.zeros(len(frame))
    for column, weight in ACTIVITY_POINTS.items():
        points += weight * np.minimum(frame[column].fillna(0).to_numpy(dtype=float), 3)
    points += frame["seniority"].map(SENIORITY_POINTS).fillna(0).to_numpy(dtype=float)
    return points


@dataclass
class RulesBaseline:
    calibrator: LogisticRegression | None = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> "RulesBaseline":
        self.calibrator = LogisticRegression().fit(rule_points(frame).reshape(-1, 1), y)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.predict_proba(rule_points(frame).reshape(-1, 1))[:, 1]
