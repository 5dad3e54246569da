"""The rules-based baseline a sales team would write by hand; every model must beat it.

Points for strong buying signals in the last 30 days and for seniority, turned
into a probability by a one-variable logistic fit on the training rows. Data
without those CRM columns (a customer's own feature set) gets the simplest
rule there is instead: rank by the one numeric feature that ranks the
training outcomes best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from lead_scoring.ml.metrics import weighted_roc_auc

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
        if column in frame:
            points += weight * np.minimum(frame[column].fillna(0).to_numpy(dtype=float), 3)
    if "seniority" in frame:
        points += frame["seniority"].map(SENIORITY_POINTS).fillna(0).to_numpy(dtype=float)
    return points


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column].astype(object), errors="coerce").astype(float).to_numpy()


@dataclass
class RulesBaseline:
    numeric_features: tuple[str, ...] = ()  # candidates for the one-feature rule when the CRM columns are absent
    rule: str = "crm points"
    column: str | None = None
    direction: float = 1.0
    fill: float = 0.0  # training median, for missing values of the one feature
    calibrator: LogisticRegression | None = None

    def points(self, frame: pd.DataFrame) -> np.ndarray:
        if self.column is None:
            return rule_points(frame)
        return self.direction * np.nan_to_num(_numeric(frame, self.column), nan=self.fill)

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> "RulesBaseline":
        if not any(c in frame for c in [*ACTIVITY_POINTS, "seniority"]):
            self._choose_one_feature(frame, y)
        self.calibrator = LogisticRegression().fit(self.points(frame).reshape(-1, 1), y)
        return self

    def _choose_one_feature(self, frame: pd.DataFrame, y: np.ndarray) -> None:
        scored, fills = {}, {}
        for column in (c for c in self.numeric_features if c in frame):
            values = _numeric(frame, column)
            fills[column] = float(np.nanmedian(values)) if np.isfinite(values).any() else 0.0
            scored[column] = weighted_roc_auc(y, np.nan_to_num(values, nan=fills[column]))
        if not scored:
            raise ValueError("the rules baseline needs the CRM activity columns or at least one numeric feature")
        self.column = max(scored, key=lambda c: (abs(scored[c] - 0.5), c))
        self.direction = 1.0 if scored[self.column] >= 0.5 else -1.0
        self.fill = fills[self.column]
        self.rule = f"one feature: {'more' if self.direction > 0 else 'less'} {self.column}"

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.predict_proba(self.points(frame).reshape(-1, 1))[:, 1]
