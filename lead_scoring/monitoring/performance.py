"""Live performance: how the served scores did once their labels matured.

A score as of day S is labelled once its 30-day window [S, S + 30) has fully
passed; rolling windows of 7 and 28 such scoring days are compared with the
champion's ROC AUC on its test set. Too few labels (under ``MIN_POSITIVES``
conversions or ``MIN_ROWS`` rows) give no verdict rather than a noisy one.

Defaults: a ROC AUC more than 0.03 below the champion's test AUC warns, more
than 0.06 below is significant decay; an expected calibration error (10
equal-count bins) above 0.05 warns, above 0.10 is significant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

LABEL_WINDOW_DAYS = 30
WINDOWS = (7, 28)
AUC_DROP_WARN = 0.03
AUC_DROP_ERROR = 0.06
CALIBRATION_WARN = 0.05
CALIBRATION_ERROR = 0.10
MIN_ROWS = 200
MIN_POSITIVES = 20
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class WindowPerformance:
    window_days: int
    roc_auc: float | None
    calibration_error: float | None
    labelled_rows: int
    positives: int
    severity: str


def matured_score_dates(as_of: date, window_days: int) -> tuple[date, date]:
    """First and last scoring date whose labels have matured by ``as_of`` (00:00), for a window."""
    last = as_of - timedelta(days=LABEL_WINDOW_DAYS)
    return last - timedelta(days=window_days - 1), last


def label_scores(scores: pd.DataFrame, first_conversions: pd.DataFrame) -> np.ndarray:
    """1 where the lead converted within [as_of_date, as_of_date + 30 days) of its score."""
    converted = scores["lead_id"].map(first_conversions.set_index("lead_id")["converted_at"])
    start = pd.to_datetime(scores["as_of_date"])
    converted = pd.to_datetime(converted)
    return ((converted >= start) & (converted < start + pd.Timedelta(days=LABEL_WINDOW_DAYS))).to_numpy().astype(int)


def expected_calibration_error(label: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    order = np.argsort(probability, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, bins):
        if len(chunk):
            total += len(chunk) * abs(float(probability[chunk].mean()) - float(label[chunk].mean()))
    return total / len(probability)


def window_performance(window_days: int, label: np.ndarray, probability: np.ndarray, champion_test_auc: float) -> WindowPerformance:
    from sklearn.metrics import roc_auc_score

    rows, positives = len(label), int(np.sum(label))
    if rows < MIN_ROWS or positives < MIN_POSITIVES or positives == rows:
        return WindowPerformance(window_days, None, None, rows, positives, "ok")
    auc = float(roc_auc_score(label, probability))
    ece = expected_calibration_error(np.asarray(label), np.asarray(probability, dtype=float))
    drop = champion_test_auc - auc
    if drop > AUC_DROP_ERROR or ece > CALIBRATION_ERROR:
        level = "error"
    elif drop > AUC_DROP_WARN or ece > CALIBRATION_WARN:
        level = "warn"
    else:
        level = "ok"
    return WindowPerformance(window_days, auc, ece, rows, positives, level)
