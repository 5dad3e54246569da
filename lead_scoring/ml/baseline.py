"""The rules-based baseline a sales team would write by hand; every model must beat it.

Points for strong buying signals in the last 30 days and for seniority, turned
into a probability by a one-variable logistic fit on the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from lead_scoring.ml.features import Feature
from lead_scoring.policies import LeakagePolicy
from lead_scoring.quality.guards import presence_auc, univariate_auc

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
    rule = "CRM points: buying signals in the last 30 days and seniority"
    calibrator: LogisticRegression | None = None

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> "RulesBaseline":
        self.calibrator = LogisticRegression().fit(rule_points(frame).reshape(-1, 1), y)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.predict_proba(rule_points(frame).reshape(-1, 1))[:, 1]


class BestFeatureBaseline:
    """The baseline for any other source (e.g. a flat CRM export): a one-feature rule.

    "Leads like this one converted at this rate": the single feature that ranks
    the training outcomes best on its own (leaky ones, whose values or presence
    rank above the leakage threshold, are never chosen) is cut into groups (its categories, or ten
    quantile bands of a number, missing values a group of their own), and a lead
    gets its group's training conversion rate, shrunk towards the overall rate.
    """

    GROUPS = 10
    SHRINK_ROWS = 20  # a group of n rows gets weight n / (n + SHRINK_ROWS) against the overall rate

    def __init__(self, features: list[Feature], block_auc: float = LeakagePolicy().block_auc):
        self.features = features
        self.block_auc = block_auc
        self.feature: str | None = None
        self.edges: np.ndarray | None = None
        self.rates: pd.Series | None = None
        self.base_rate = 0.0

    def _groups(self, values: pd.Series) -> pd.Series:
        if self.edges is None:
            return values.astype(object).where(values.notna(), "__missing__").astype(str)
        numeric = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=float)
        band = np.searchsorted(self.edges, numeric, side="right").astype(str)
        return pd.Series(np.where(np.isnan(numeric), "__missing__", band), index=values.index)

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> "BestFeatureBaseline":

        # a feature whose presence alone gives the outcome away is no fair baseline either
        auc = {f.name: max(univariate_auc(frame[f.name], y), presence_auc(frame[f.name], y)) for f in self.features}
        eligible = {name: value for name, value in auc.items() if value <= self.block_auc} or auc
        self.feature = max(sorted(eligible), key=eligible.get)
        kind = next(f.feature_type for f in self.features if f.name == self.feature)
        values = frame[self.feature]
        if kind == "numeric":
            numeric = pd.to_numeric(values.astype(object), errors="coerce").dropna().to_numpy(dtype=float)
            self.edges = np.unique(np.quantile(numeric, np.linspace(0, 1, self.GROUPS + 1)[1:-1])) if len(numeric) else np.array([])
        groups = self._groups(values)
        self.base_rate = float(np.mean(y))
        stats = pd.DataFrame({"group": groups.to_numpy(), "y": y}).groupby("group")["y"].agg(["sum", "count"])
        self.rates = (stats["sum"] + self.SHRINK_ROWS * self.base_rate) / (stats["count"] + self.SHRINK_ROWS)
        return self

    @property
    def rule(self) -> str:
        return f"one feature: the training conversion rate of the lead's {self.feature} group"

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        groups = self._groups(frame[self.feature])
        return groups.map(self.rates).fillna(self.base_rate).to_numpy(dtype=float)


def for_features(features: list[Feature], leakage: LeakagePolicy = LeakagePolicy()) -> RulesBaseline | BestFeatureBaseline:
    """The hand-written rules when the features they use exist (the simulated CRM), else the one-feature rule."""
    names = {f.name for f in features}
    if set(ACTIVITY_POINTS) | {"seniority"} <= names:
        return RulesBaseline()
    return BestFeatureBaseline(features, leakage.block_auc)  # a feature suspected of leakage is no fair baseline
