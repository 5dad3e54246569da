"""The report's charts, drawn with matplotlib (Agg, no display) and returned as base64 PNG.

Imported only when a report is written: matplotlib stays out of the code location's import.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import pandas as pd  # noqa: E402

from lead_scoring.policies import DriftPolicy  # noqa: E402

GRADE_COLOURS = {"A": "#1b7837", "B": "#7fbf7b", "C": "#f1a340", "D": "#b2abd2"}
SEVERITY_COLOURS = {"ok": "#7fbf7b", "warn": "#f1a340", "error": "#d7301f"}


def _figure(width: float = 7.5, height: float = 3.2):
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_distribution(histogram: pd.DataFrame) -> str:
    """Leads per score band on the latest scoring date, coloured by grade."""
    fig, ax = _figure()
    bottom = pd.Series(0, index=histogram.index)
    for grade in histogram.columns:
        ax.bar(histogram.index + 2.5, histogram[grade], width=4.5, bottom=bottom, label=f"grade {grade}",
               color=GRADE_COLOURS[grade])
        bottom = bottom + histogram[grade]
    ax.set(xlabel="score (0-100)", ylabel="leads", xlim=(0, 100))
    ax.legend(frameon=False, ncols=4)
    return _png(fig)


def grade_shares(shares: pd.DataFrame) -> str:
    """Share of each grade among the leads scored each day."""
    fig, ax = _figure()
    dates = pd.to_datetime(pd.Series(shares.index))
    if len(shares) < 3:
        bottom = pd.Series(0.0, index=range(len(shares)))
        for grade in shares.columns:
            ax.bar(dates.dt.strftime("%Y-%m-%d"), shares[grade].to_numpy(), bottom=bottom, label=f"grade {grade}",
                   color=GRADE_COLOURS[grade], width=0.5)
            bottom = bottom + shares[grade].to_numpy()
    else:
        ax.stackplot(dates, *[shares[g].to_numpy() for g in shares.columns], labels=[f"grade {g}" for g in shares.columns],
                     colors=[GRADE_COLOURS[g] for g in shares.columns])
        fig.autofmt_xdate()
    ax.set(ylabel="share of scored leads", ylim=(0, 1))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(frameon=False, ncols=4, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return _png(fig)


def conversion_by_grade(table: pd.DataFrame, average: float) -> str:
    """Conversion rate within 30 days per grade, against the average."""
    fig, ax = _figure(6, 3)
    ax.bar(table["grade"], table["rate"].fillna(0), color=[GRADE_COLOURS[g] for g in table["grade"]])
    ax.axhline(average, color="black", linestyle="--", linewidth=1, label=f"average {average:.1%}")
    for x, rate in zip(table["grade"], table["rate"]):
        if pd.notna(rate):
            ax.annotate(f"{rate:.1%}", (x, rate), ha="center", va="bottom")
    ax.set(xlabel="grade", ylabel="converted within 30 days")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(frameon=False)
    return _png(fig)


def performance_over_time(weekly: pd.DataFrame, live: pd.DataFrame | None, champion_test_auc: float | None) -> str:
    """ROC AUC on matured labels per week (and the monitoring's rolling windows), against the test-time figure."""
    fig, ax = _figure()
    if not weekly.empty:
        ax.plot(pd.to_datetime(weekly["week"]), weekly["roc_auc"], marker="o", label="per week of scoring (report)")
    if live is not None and not live.empty:
        for days, part in live.groupby("window_days"):
            ax.plot(pd.to_datetime(part["as_of_date"]), part["roc_auc"], label=f"monitoring, last {days} days")
    if champion_test_auc is not None:
        ax.axhline(champion_test_auc, color="grey", linestyle="--", linewidth=1, label=f"at training {champion_test_auc:.3f}")
    ax.axhline(0.5, color="#d7301f", linestyle=":", linewidth=1, label="coin toss 0.5")
    ax.set(ylabel="ROC AUC", ylim=(0.4, 1.0))
    ax.legend(frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return _png(fig)


def calibration(table: pd.DataFrame) -> str:
    """Predicted vs observed conversion per tenth of the leads, ordered by predicted probability."""
    fig, ax = _figure(5, 4)
    top = max(table["predicted"].max(), table["observed"].max()) * 1.1
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    ax.plot(table["predicted"], table["observed"], marker="o", label="model")
    ax.set(xlabel="predicted conversion rate", ylabel="actual conversion rate", xlim=(0, top), ylim=(0, top))
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(frameon=False)
    return _png(fig)


def prediction_drift(drift: pd.DataFrame, policy: DriftPolicy) -> str:
    """PSI of the score distribution against training, per day, with the usual thresholds."""
    fig, ax = _figure()
    ax.plot(pd.to_datetime(drift["as_of_date"]), drift["psi"], marker=".", label="score PSI")
    ax.axhline(policy.psi_moderate, color=SEVERITY_COLOURS["warn"], linestyle="--", linewidth=1, label=f"moderate shift {policy.psi_moderate:g}")
    ax.axhline(policy.psi_significant, color=SEVERITY_COLOURS["error"], linestyle="--", linewidth=1, label=f"significant shift {policy.psi_significant:g}")
    ax.set(ylabel="population stability index")
    ax.legend(frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return _png(fig)


def feature_drift(latest: pd.DataFrame, policy: DriftPolicy) -> str:
    """PSI per feature on the latest monitoring date, coloured by severity."""
    ordered = latest.sort_values("psi")
    fig, ax = _figure(7.5, max(2.5, 0.22 * len(ordered) + 1))
    ax.barh(ordered["feature"], ordered["psi"].fillna(0), color=[SEVERITY_COLOURS.get(s, "grey") for s in ordered["severity"]])
    ax.axvline(policy.psi_moderate, color=SEVERITY_COLOURS["warn"], linestyle="--", linewidth=1)
    ax.axvline(policy.psi_significant, color=SEVERITY_COLOURS["error"], linestyle="--", linewidth=1)
    ax.set(xlabel="population stability index vs the training data")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)
