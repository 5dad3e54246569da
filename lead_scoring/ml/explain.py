"""Why a lead got its score: the top reasons, computed from the model itself.

A feature's effect on one lead is the change in the model's probability when
that feature alone is replaced by the training population's typical value
(median for numbers, most frequent value for categories), all else equal:
``effect = p(lead) - p(lead with the feature set to typical)``. The reasons are
the features with the largest non-zero effects, with their direction: "(+)"
when the lead's own value raises the probability above the typical one's.
This is exactly what a salesperson can check: set the feature to typical and
the score moves the other way.

Reason texts are built only from feature names and feature values of the
scoring table (which holds no personal data) and from the phrases below.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from lead_scoring.ml import model
from lead_scoring.ml.features import Feature

REASONS = 3
CHUNK_ROWS = 20_000
MAX_VALUE_CHARS = 40
# Smaller effects are rounding, not reasons: two exact ways of computing one effect can disagree by ~1e-13.
NEGLIGIBLE_EFFECT = 1e-9

# Phrases for the features of the CRM schema; any other feature gets a generic phrase.
COUNT_PHRASES = {
    "demo_requested_30d": "requested a demo {n} time{s} in the last 30 days",
    "pricing_page_view_30d": "viewed the pricing page {n} time{s} in the last 30 days",
    "page_view_30d": "viewed {n} page{s} in the last 30 days",
    "email_open_30d": "opened {n} e-mail{s} in the last 30 days",
    "email_click_30d": "clicked {n} e-mail{s} in the last 30 days",
    "form_submit_30d": "submitted {n} form{s} in the last 30 days",
    "webinar_attended_30d": "attended {n} webinar{s} in the last 30 days",
    "chat_started_30d": "started {n} chat{s} in the last 30 days",
    "activities_1d": "{n} activit{ies} yesterday",
    "activities_7d": "{n} activit{ies} in the last 7 days",
    "activities_30d": "{n} activit{ies} in the last 30 days",
    "activities_all_time": "{n} activit{ies} since the lead was created",
    "active_days_30d": "active on {n} of the last 30 days",
    "days_since_created": "created {n} day{s} ago",
    "days_since_last_activity": "last active {n} day{s} ago",
}
MISSING_PHRASES = {"days_since_last_activity": "no activity yet", "campaign_channel": "no campaign channel"}
CATEGORY_PHRASES = {
    "country": "based in {v}",
    "industry": "works in {v}",
    "company_size": "company of {v} employees",
    "seniority": "seniority: {v}",
    "lead_source": "came from {v}",
    "campaign_channel": "campaign channel: {v}",
}
BOOLEAN_PHRASES = {"has_campaign": ("came from a campaign", "not from a campaign")}


def population_reference(train: pd.DataFrame, features: list[Feature]) -> dict[str, object]:
    """Typical value of each feature in the training population: median (numbers, flags), mode (categories)."""
    frame = model.feature_frame(train, features)
    reference: dict[str, object] = {}
    for feature in features:
        values = frame[feature.name].dropna()
        if values.empty:
            reference[feature.name] = None
        elif feature.feature_type == "categorical":
            counts = values.astype(str).value_counts()
            reference[feature.name] = str(sorted(counts[counts == counts.max()].index)[0])  # ties: first by name
        else:
            reference[feature.name] = float(values.median())
    return reference


class Effects(NamedTuple):
    """What the reasons are computed from. The leads' own probabilities come with it: predicting them is the first
    half of computing an effect, and scoring needs them too."""

    probability: np.ndarray  # per row: model.predict's probability of the lead
    by_feature: np.ndarray  # rows x features: the lead's probability minus its variant's


def effects(fitted, frame: pd.DataFrame, features: list[Feature], reference: dict[str, object]) -> Effects:
    """Per row, the lead's probability, and per feature, that probability minus the one with the feature set to the
    typical value."""
    x = model.feature_frame(frame, features).reset_index(drop=True)
    # The reference as the model's input holds it: None is a missing number (NaN) or a missing category (None).
    typical = model.feature_frame(pd.DataFrame([reference]), features).iloc[0]
    probability, out = np.zeros(len(x)), np.zeros((len(x), len(features)))
    for start in range(0, len(x), CHUNK_ROWS):
        chunk = x.iloc[start : start + CHUNK_ROWS]
        # A lead already at the typical value is its own variant, with an effect of exactly 0: not worth predicting.
        moved = np.array([~is_typical(chunk[f.name], typical[f.name]) for f in features])  # features x rows
        variants = [chunk[rows].assign(**{f.name: reference[f.name]}) for f, rows in zip(features, moved)]
        # One prediction call for the leads and the variants that differ (model.predict restores the dtypes).
        p = model.predict(fitted, pd.concat([chunk, *variants], ignore_index=True), features)
        effect = np.zeros(moved.shape)
        # The variants come feature by feature, each in row order: the order in which the mask picks its cells.
        effect[moved] = np.broadcast_to(p[: len(chunk)], moved.shape)[moved] - p[len(chunk) :]
        probability[start : start + len(chunk)], out[start : start + len(chunk)] = p[: len(chunk)], effect.T
    return Effects(probability, out)


def is_typical(values: pd.Series, typical) -> np.ndarray:
    """Which values are the typical one: a lead at it has an effect of exactly 0 for that feature."""
    return (values.isna() if pd.isna(typical) else values == typical).to_numpy()


def _count_phrase(template: str, value: float) -> str:
    n = int(round(value))
    return template.format(n=n, s="" if n == 1 else "s", ies="y" if n == 1 else "ies")


def _humanised(name: str) -> str:
    return name.replace("_", " ")


def phrase(feature: Feature, value, reference) -> str:
    """What the lead's value of ``feature`` is, in words (without the direction)."""
    missing = value is None or (isinstance(value, float) and np.isnan(value))
    if missing:
        return MISSING_PHRASES.get(feature.name, f"{_humanised(feature.name)} is unknown")
    if feature.feature_type == "categorical":
        shown = str(value)[:MAX_VALUE_CHARS].replace("_", " ")
        return CATEGORY_PHRASES.get(feature.name, _humanised(feature.name) + " is {v}").format(v=shown)
    if feature.feature_type == "boolean" and feature.name in BOOLEAN_PHRASES:
        return BOOLEAN_PHRASES[feature.name][0 if float(value) else 1]
    if feature.name in COUNT_PHRASES:
        return _count_phrase(COUNT_PHRASES[feature.name], float(value))
    level = "high" if reference is None or float(value) > float(reference) else "low"
    return f"{_humanised(feature.name)} is {level} ({float(value):g})"


def top_reasons(frame: pd.DataFrame, features: list[Feature], reference: dict[str, object], effect: np.ndarray,
                count: int = REASONS) -> np.ndarray:
    """Rows x ``count``: each row's reasons like "requested a demo 2 times in the last 30 days (+)", None past the last.

    ``effect`` is :func:`effects`' ``by_feature`` for ``frame``.
    Phrased per feature and distinct value, not per row: a million leads hold a few thousand distinct values.
    """
    if len(frame) == 0:
        return np.full((0, count), None, dtype=object)
    x = model.feature_frame(frame, features).reset_index(drop=True)
    # Largest effect first; a negligible effect ends a row's reasons (every later one is as small).
    order = np.argsort(-np.abs(effect), axis=1, kind="stable")[:, :count]
    rows = np.arange(len(x))
    reasons = np.full((len(x), count), None, dtype=object)
    for rank in range(order.shape[1]):
        chosen = order[:, rank]
        chosen_effect = effect[rows, chosen]
        for index, feature in enumerate(features):
            picked = np.flatnonzero((chosen == index) & (np.abs(chosen_effect) > NEGLIGIBLE_EFFECT))
            if picked.size:
                signs = np.where(chosen_effect[picked] > 0, " (+)", " (-)").astype(object)
                reasons[picked, rank] = _phrases(feature, x.iloc[picked, index], reference[feature.name]) + signs
    return reasons


def _phrases(feature: Feature, values: pd.Series, reference) -> np.ndarray:
    """``phrase`` of each value, computed once per distinct value."""
    codes, distinct = pd.factorize(values)  # a missing value is code -1: the last phrase below
    texts = np.array([phrase(feature, value, reference) for value in distinct] + [phrase(feature, None, reference)], dtype=object)
    return texts[codes]
