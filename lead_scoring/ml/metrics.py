"""Metrics for imbalanced binary outcomes; accuracy is deliberately absent.

Every function takes the true outcomes (0/1) and predicted probabilities of
the same rows. Names of the returned keys are the names logged to MLflow
(with a ``test_`` / ``baseline_test_`` prefix added by the caller).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss

ECE_BINS = 10
TOP_SHARES = {"top10": 0.10, "top20": 0.20}


def _arrays(y_true, probability) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(int)
    p = np.clip(np.asarray(probability, dtype=float), 1e-6, 1 - 1e-6)
    return y, p


def weighted_roc_auc(y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None) -> float:
    """ROC AUC (ties count one half), with optional row weights; O(n) after one sort of the scores.

    The bootstrap calls this hundreds of times on the same scores with new
    weights, which ``sklearn.metrics.roc_auc_score`` would re-sort every time.
    """
    _, inverse = np.unique(p, return_inverse=True)
    return _auc_from_inverse(inverse, y, np.ones(len(y)) if weight is None else weight)


def _auc_from_inverse(inverse: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
    positive = np.bincount(inverse, weights=weight * y)
    negative = np.bincount(inverse, weights=weight * (1 - y))
    below = np.cumsum(negative) - negative
    total = positive.sum() * negative.sum()
    return float((positive * (below + 0.5 * negative)).sum() / total) if total > 0 else float("nan")


def roc_auc_interval(
    y_true, probability, groups=None, seed: int = 7, resamples: int = 200, level: float = 0.95
) -> tuple[float, float]:
    """Bootstrap interval of the ROC AUC, resampling whole groups (leads) when given.

    Snapshots of one lead are not independent; resampling leads keeps the
    interval from being too narrow.
    """
    y, p = _arrays(y_true, probability)
    _, inverse = np.unique(p, return_inverse=True)
    group_codes = np.unique(np.asarray(groups), return_inverse=True)[1] if groups is not None else np.arange(len(y))
    n_groups = int(group_codes.max()) + 1 if len(y) else 0
    rng = np.random.default_rng(seed)
    aucs = []
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
        aucs.append(_auc_from_inverse(inverse, y, counts[group_codes].astype(float)))
    aucs = np.asarray(aucs)
    aucs = aucs[~np.isnan(aucs)]
    tail = (1 - level) / 2 * 100
    return float(np.percentile(aucs, tail)), float(np.percentile(aucs, 100 - tail))


def expected_calibration_error(y_true, probability, bins: int = ECE_BINS, weight=None) -> float:
    """Weighted mean |observed rate - mean prediction| over bins of equal size by predicted probability.

    Equal-size bins (not equal-width): with a low base rate almost every
    prediction falls in the first tenth of [0, 1], where equal-width bins see nothing.
    ``weight`` (default: every row 1) lets live monitoring weigh rows to the test set's age mix.
    """
    y, p = _arrays(y_true, probability)
    w = np.ones(len(p)) if weight is None else np.asarray(weight, dtype=float)
    order = np.argsort(p, kind="stable")
    total = 0.0
    for chunk in np.array_split(order, bins):
        mass = float(w[chunk].sum())
        if mass > 0:
            total += mass * abs(float(np.average(y[chunk], weights=w[chunk]) - np.average(p[chunk], weights=w[chunk])))
    return total / float(w.sum())


def lift_and_capture(y_true, probability, share: float) -> tuple[float, float]:
    """Conversion rate in the top ``share`` of leads by probability over the base rate; share of all conversions caught there."""
    y, p = _arrays(y_true, probability)
    top = np.argsort(-p, kind="stable")[: max(1, int(np.ceil(share * len(y))))]
    if y.sum() == 0:
        return float("nan"), float("nan")
    return float(y[top].mean() / y.mean()), float(y[top].sum() / y.sum())


def threshold_metrics(y_true, probability, threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of calling every lead at or above ``threshold``."""
    y, p = _arrays(y_true, probability)
    called = p >= threshold
    hits = float((called & (y == 1)).sum())
    precision = hits / called.sum() if called.any() else 0.0
    recall = hits / y.sum() if y.sum() else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "called_share": float(called.mean())}


def classification_metrics(y_true, probability) -> dict[str, float]:
    """Ranking, probability quality, calibration and top-of-list metrics of one set of rows."""
    y, p = _arrays(y_true, probability)
    if len(np.unique(y)) < 2:
        raise ValueError(f"metrics need both outcomes in the test set; it has {len(y)} rows of class {np.unique(y)}")
    metrics = {
        "roc_auc": weighted_roc_auc(y, p),
        "pr_auc": float(average_precision_score(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
        "prediction_bias": float(p.mean() - y.mean()),
        "base_rate": float(y.mean()),
        "mean_prediction": float(p.mean()),
    }
    for name, share in TOP_SHARES.items():
        metrics[f"lift_{name}"], metrics[f"capture_{name}"] = lift_and_capture(y, p, share)
    return metrics
