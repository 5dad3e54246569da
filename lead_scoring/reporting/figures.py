"""Statistics of the report, computed on small aggregates, never on every score row.

The warehouse returns the scores grouped by (as_of_date, grade, probability bin
of width 0.001) with the number of rows, the sum of probabilities and the number
that converted within the label window. Everything here works on that table
(a few hundred thousand rows at most, whatever the number of leads).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

GRADES = ("A", "B", "C", "D")
BINS = 1000  # probability bins of the score facts
LABEL_WINDOW_DAYS = 30


def matured(facts: pd.DataFrame, latest: date, window_days: int = LABEL_WINDOW_DAYS) -> pd.DataFrame:
    """Score rows whose label window has closed by the latest scoring date."""
    return facts[facts["as_of_date"] <= latest - timedelta(days=window_days)]


def grade_conversion(facts: pd.DataFrame) -> pd.DataFrame:
    """Per grade: scored rows, conversions, conversion rate and lift over the average."""
    by_grade = facts.groupby("grade")[["rows", "converted"]].sum().reindex(list(GRADES), fill_value=0)
    overall = by_grade["converted"].sum() / by_grade["rows"].sum() if by_grade["rows"].sum() else np.nan
    rate = by_grade["converted"] / by_grade["rows"].replace(0, np.nan)
    return by_grade.assign(rate=rate, lift=rate / overall if overall else np.nan).rename_axis("grade").reset_index()


def roc_auc_from_bins(bins: pd.DataFrame) -> float:
    """ROC AUC of the probability bins: the chance that a random converter is ranked above a random
    non-converter (ties within a 0.001-wide bin count half)."""
    ordered = bins.groupby("bin")[["rows", "converted"]].sum().sort_index()
    positives = ordered["converted"].to_numpy(dtype=float)
    negatives = ordered["rows"].to_numpy(dtype=float) - positives
    if positives.sum() == 0 or negatives.sum() == 0:
        return float("nan")
    negatives_below = np.cumsum(negatives) - negatives
    return float((positives * (negatives_below + 0.5 * negatives)).sum() / (positives.sum() * negatives.sum()))


def weekly_performance(facts: pd.DataFrame) -> pd.DataFrame:
    """ROC AUC, conversion rate and mean predicted probability per week of scoring date (matured rows)."""
    if facts.empty:
        return pd.DataFrame(columns=["week", "roc_auc", "rows", "conversion_rate", "mean_probability"])
    as_of = pd.to_datetime(facts["as_of_date"])
    week = (as_of - pd.to_timedelta(as_of.dt.day_of_week, unit="D")).dt.date
    rows = []
    for start, part in facts.groupby(week):
        total = part["rows"].sum()
        rows.append(
            {
                "week": start,
                "roc_auc": roc_auc_from_bins(part),
                "rows": int(total),
                "conversion_rate": part["converted"].sum() / total,
                "mean_probability": part["probability_sum"].sum() / total,
            }
        )
    return pd.DataFrame(rows)


def calibration(facts: pd.DataFrame, groups: int = 10) -> pd.DataFrame:
    """Predicted vs observed conversion in groups of equal size (deciles of predicted probability)."""
    by_bin = facts.groupby("bin")[["rows", "probability_sum", "converted"]].sum().sort_index()
    if by_bin.empty:
        return pd.DataFrame(columns=["group", "rows", "predicted", "observed"])
    share_before = (by_bin["rows"].cumsum() - by_bin["rows"]) / by_bin["rows"].sum()
    by_bin["group"] = np.minimum((share_before * groups).astype(int), groups - 1) + 1
    grouped = by_bin.groupby("group")[["rows", "probability_sum", "converted"]].sum()
    return pd.DataFrame(
        {
            "group": grouped.index,
            "rows": grouped["rows"].to_numpy(),
            "predicted": (grouped["probability_sum"] / grouped["rows"]).to_numpy(),
            "observed": (grouped["converted"] / grouped["rows"]).to_numpy(),
        }
    )


def calibration_error(table: pd.DataFrame) -> float:
    """Expected calibration error: the row-weighted gap between predicted and observed conversion."""
    if table.empty:
        return float("nan")
    return float((table["rows"] * (table["predicted"] - table["observed"]).abs()).sum() / table["rows"].sum())


def score_histogram(facts: pd.DataFrame, day: date, width: int = 5) -> pd.DataFrame:
    """Leads per score band (``width`` points of the 0-100 score) and grade, on one scoring date."""
    one_day = facts[facts["as_of_date"] == day]
    band = np.minimum((one_day["bin"] * 100 // BINS) // width * width, 100 - width)
    table = one_day.groupby([band.rename("band"), "grade"])["rows"].sum().unstack("grade", fill_value=0)
    return table.reindex(columns=list(GRADES), fill_value=0).reindex(range(0, 100, width), fill_value=0)


def grade_shares(facts: pd.DataFrame) -> pd.DataFrame:
    """Share of each grade among the leads scored on each date (rows: dates, columns: grades)."""
    table = facts.groupby(["as_of_date", "grade"])["rows"].sum().unstack("grade", fill_value=0)
    table = table.reindex(columns=list(GRADES), fill_value=0)
    return table.div(table.sum(axis=1), axis=0)


def changes(current: dict, previous: dict | None) -> list[str]:
    """Plain sentences on what moved since the last report's headline numbers."""
    if not previous:
        return ["This is the first report: nothing to compare with yet."]
    said = []
    if current.get("champion_version") != previous.get("champion_version"):
        said.append(f"New model in production: version {current.get('champion_version')} "
                    f"(was {previous.get('champion_version') or 'none'}).")
    for key, label, as_percent in (
        ("leads_scored_week", "Leads scored in the week", False),
        ("conversion_rate_A", "Conversion rate of grade A leads", True),
        ("lift_A", "Lift of grade A over the average", False),
        ("champion_roc_auc", "Model ranking quality (ROC AUC)", False),
    ):
        now, before = current.get(key), previous.get(key)
        if now is None or before is None:
            continue
        said.append(f"{label}: {_fmt(now, as_percent)} (last report: {_fmt(before, as_percent)}, {_delta(now, before, as_percent)}).")
    return said or ["No headline number is comparable with the last report."]


def _fmt(value: float, as_percent: bool) -> str:
    if as_percent:
        return f"{value:.1%}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.2f}"


def _delta(now: float, before: float, as_percent: bool) -> str:
    if now == before:
        return "unchanged"
    if as_percent:
        return f"{(now - before) * 100:+.1f} points"
    return f"{(now - before) / before:+.0%}" if before else f"{now - before:+.2f}"
