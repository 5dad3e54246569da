"""One evaluation of one set of predictions on the held-out rows: overall, at the threshold, per slice.

Every model of a training run (candidates, the chosen model, the rules
baseline, the Bayes limit on simulated data) and the champion at promotion
time are evaluated by :func:`evaluate` on the same test rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lead_scoring.ml.metrics import classification_metrics, roc_auc_interval, threshold_metrics
from lead_scoring.ml.probabilities import require_valid
from lead_scoring.simulator import world

# Segments sales and marketing look at; the ones present in the data are used.
SLICE_COLUMNS = ("lead_source", "country", "company_size", "seniority")
LABEL_WINDOW_DAYS = 30


@dataclass
class Evaluation:
    metrics: dict[str, float]
    slices: pd.DataFrame  # one row per (slice, value): rows, conversions and the same metrics

    def prefixed(self, prefix: str) -> dict[str, float]:
        return {f"{prefix}{name}": value for name, value in self.metrics.items() if np.isfinite(value)}

    def worst_slice(self, min_rows: int) -> pd.Series | None:
        """The slice with the lowest ROC AUC among those with at least ``min_rows`` rows (None if none)."""
        big = self.slices[(self.slices["rows"] >= min_rows) & self.slices["roc_auc"].notna()]
        return None if big.empty else big.loc[big["roc_auc"].idxmin()]


def _metrics(y: np.ndarray, p: np.ndarray, threshold: float, groups, seed: int) -> dict[str, float]:
    metrics = classification_metrics(y, p)
    metrics["roc_auc_ci_low"], metrics["roc_auc_ci_high"] = roc_auc_interval(y, p, groups, seed)
    metrics.update(threshold_metrics(y, p, threshold))
    metrics["threshold"] = float(threshold)
    return metrics


def slice_metrics(frame: pd.DataFrame, y: np.ndarray, p: np.ndarray, threshold: float, seed: int,
                  columns=SLICE_COLUMNS) -> pd.DataFrame:
    rows = []
    groups = frame["lead_id"].to_numpy() if "lead_id" in frame else None
    for column in [c for c in columns if c in frame]:
        values = frame[column].astype(object).where(frame[column].notna(), "(missing)").to_numpy()
        for value in sorted(set(values), key=str):
            inside = values == value
            row = {"slice": column, "value": str(value), "rows": int(inside.sum()), "conversions": int(y[inside].sum())}
            if 0 < row["conversions"] < row["rows"]:
                row.update(_metrics(y[inside], p[inside], threshold, None if groups is None else groups[inside], seed))
            rows.append(row)
    table = pd.DataFrame(rows, columns=["slice", "value", "rows", "conversions"]) if not rows else pd.DataFrame(rows)
    for metric in ("roc_auc", "roc_auc_ci_low", "roc_auc_ci_high"):  # none when no slice column is present or has both outcomes
        if metric not in table:
            table[metric] = np.nan
    return table


def evaluate(frame: pd.DataFrame, y_true, probability, threshold: float, seed: int = 7, source: str = "the model") -> Evaluation:
    """Metrics of ``probability`` against ``y_true`` on the rows of ``frame`` (for lead ids and slice columns).

    ``source`` names the scorer in the error raised when a probability is not a number in [0, 1]."""
    y = np.asarray(y_true).astype(int)
    p = np.asarray(probability, dtype=float)
    groups = frame["lead_id"].to_numpy() if "lead_id" in frame else None
    require_valid(p, f"{source} on the test rows", groups)
    return Evaluation(_metrics(y, p, threshold, groups, seed), slice_metrics(frame, y, p, threshold, seed))


def bayes_probability(test: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    """The true window probability of each test snapshot, from the simulator's ground truth."""
    joined = test[["lead_id", "as_of_date"]].merge(truth, on="lead_id", how="left", validate="many_to_one")
    if joined["p_convert"].isna().any():
        missing = joined.loc[joined["p_convert"].isna(), "lead_id"].head(5).tolist()
        raise ValueError(f"ground_truth.lead_propensity has no row for test leads such as {missing}")
    age_days = (pd.to_datetime(joined["as_of_date"]) - pd.to_datetime(joined["created_at"])) / pd.Timedelta(days=1)
    return world.window_probability(joined["p_convert"].to_numpy(), age_days.to_numpy(), LABEL_WINDOW_DAYS)
