"""The figures of a training run, drawn on the test rows. Each function returns a matplotlib Figure.

matplotlib is imported inside each function with the Agg backend: nothing
here may open a window or slow down importing the code location.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve


def _pyplot():
    import matplotlib  # matplotlib only when a plot is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after the Agg backend is chosen, on the first plot

    return plt


def _figure(title: str):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    ax.set_title(title)
    return fig, ax


def roc(y: np.ndarray, scores: dict[str, np.ndarray]):

    fig, ax = _figure("ROC curve (test period)")
    for name, p in scores.items():
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    return fig


def precision_recall(y: np.ndarray, scores: dict[str, np.ndarray]):

    fig, ax = _figure("Precision-recall curve (test period)")
    for name, p in scores.items():
        precision, recall, _ = precision_recall_curve(y, p)
        ax.plot(recall, precision, label=f"{name} (AP {average_precision_score(y, p):.3f})")
    ax.axhline(y.mean(), color="grey", linestyle=":", label=f"base rate {y.mean():.3f}")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.legend(loc="upper right")
    return fig


def calibration(y: np.ndarray, scores: dict[str, np.ndarray], bins: int = 10):
    fig, ax = _figure("Calibration (test period, bins of equal size)")
    top = 0.0
    for name, p in scores.items():
        order = np.argsort(p, kind="stable")
        chunks = [c for c in np.array_split(order, bins) if len(c)]
        predicted = [p[c].mean() for c in chunks]
        observed = [y[c].mean() for c in chunks]
        ax.plot(predicted, observed, marker="o", label=name)
        top = max(top, *predicted, *observed)
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfectly calibrated")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed conversion rate")
    ax.legend(loc="upper left")
    return fig


def gain_and_lift(y: np.ndarray, scores: dict[str, np.ndarray]):
    plt = _pyplot()
    fig, (gain_ax, lift_ax) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
    share = np.arange(1, len(y) + 1) / len(y)
    for name, p in scores.items():
        caught = np.cumsum(y[np.argsort(-p, kind="stable")]) / max(y.sum(), 1)
        gain_ax.plot(share, caught, label=name)
        lift_ax.plot(share, caught / share, label=name)
    gain_ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    lift_ax.axhline(1.0, color="grey", linestyle=":")
    gain_ax.set(title="Cumulative gain", xlabel="share of leads called (best first)", ylabel="share of conversions caught")
    lift_ax.set(title="Lift", xlabel="share of leads called (best first)", ylabel="conversion rate / base rate", xlim=(0.01, 1))
    gain_ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def confusion(y: np.ndarray, p: np.ndarray, threshold: float, rule: str):
    called = p >= threshold
    counts = np.array([[np.sum(~called & (y == 0)), np.sum(called & (y == 0))],
                       [np.sum(~called & (y == 1)), np.sum(called & (y == 1))]])
    fig, ax = _figure(f"Confusion matrix at p >= {threshold:.3f}\n({rule})")
    ax.imshow(counts, cmap="Blues")
    for (row, col), n in np.ndenumerate(counts):
        ax.text(col, row, f"{n:,}", ha="center", va="center", color="black")
    ax.set_xticks([0, 1], ["not called", "called"])
    ax.set_yticks([0, 1], ["did not convert", "converted"])
    return fig


def importance(table: pd.DataFrame):
    shown = table.head(20).iloc[::-1]
    fig, ax = _figure("Permutation importance (drop in test ROC AUC)")
    ax.barh(shown["feature"], shown["mean_auc_drop"], xerr=shown["std_auc_drop"], color="tab:blue")
    ax.set_xlabel("mean drop in ROC AUC when shuffled")
    fig.tight_layout()
    return fig


def slice_auc(slices: pd.DataFrame, floor: float | None = None):
    shown = slices.dropna(subset=["roc_auc"]).iloc[::-1]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, max(3.0, 0.22 * len(shown))), dpi=100)
    labels = [f"{s}={v} (n={n:,})" for s, v, n in zip(shown["slice"], shown["value"], shown["rows"])]
    ax.barh(labels, shown["roc_auc"], color="tab:blue")
    ax.set_xlim(0.5, 1.0)
    ax.set_title("Test ROC AUC per slice")
    if floor is not None:
        ax.axvline(floor, color="tab:red", linestyle="--", label=f"floor {floor:.2f}")
        ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
