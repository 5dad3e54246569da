"""Live performance: how the served scores did once their labels matured.

A score as of day S is labelled once its 30-day window [S, S + 30) has fully
passed; rolling windows of 7 and 28 such scoring days are compared with the
champion's ROC AUC on its test set. Too few labels (under ``MIN_POSITIVES``
conversions or ``MIN_ROWS`` rows) give no verdict rather than a noisy one.

Like with like: the served population holds leads of every open age, the test
split only the newest leads' snapshots (at first training, ages 1 and 8 days).
Age alone separates them (a 1-day-old lead converts within 30 days about 17% of
the time, a 36-day-old one about 1%), so the served scores' ROC AUC sat far
above the test AUC (0.83 vs 0.68) and no decay could ever show. Where lead ages
are known, the served scores are weighted to the age mix of the champion's test
rows (ages it has no test rows of count for nothing) before both metrics.

Defaults: a ROC AUC more than 0.03 below the champion's test AUC warns, more
than 0.06 below is significant decay; an expected calibration error (10
equal-count bins) above 0.05 warns, above 0.10 is significant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from lead_scoring.ml.metrics import expected_calibration_error

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


def age_matched_weights(ages: np.ndarray, test_rows_by_age: pd.Series) -> np.ndarray:
    """Row weights that give ``ages`` the age mix of the champion's test rows (``test_rows_by_age``: age -> rows).

    Each age's weights add up to its share of the test rows; an age without test rows weighs 0.
    """
    ages = pd.Series(np.asarray(ages))
    share = test_rows_by_age / test_rows_by_age.sum()
    per_row = share / ages.value_counts()
    return ages.map(per_row).fillna(0.0).to_numpy(dtype=float)


def window_performance(window_days: int, label: np.ndarray, probability: np.ndarray, champion_test_auc: float,
                       weight: np.ndarray | None = None) -> WindowPerformance:
    """ROC AUC and calibration error of one window, against the champion's test AUC.

    ``weight`` (from :func:`age_matched_weights`) re-weights the rows; rows of weight 0 do not count.
    """

    label, probability = np.asarray(label), np.asarray(probability, dtype=float)
    if weight is not None:
        counted = np.asarray(weight) > 0
        label, probability, weight = label[counted], probability[counted], np.asarray(weight)[counted]
    rows, positives = len(label), int(np.sum(label))
    if rows < MIN_ROWS or positives < MIN_POSITIVES or positives == rows:
        return WindowPerformance(window_days, None, None, rows, positives, "ok")
    auc = float(roc_auc_score(label, probability, sample_weight=weight))
    ece = expected_calibration_error(label, probability, CALIBRATION_BINS, weight)
    drop = champion_test_auc - auc
    if drop > AUC_DROP_ERROR or ece > CALIBRATION_ERROR:
        level = "error"
    elif drop > AUC_DROP_WARN or ece > CALIBRATION_WARN:
        level = "warn"
    else:
        level = "ok"
    return WindowPerformance(window_days, auc, ece, rows, positives, level)
