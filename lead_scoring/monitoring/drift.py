"""Feature and prediction drift: PSI plus a statistical test per feature.

Defaults (``policies.DriftPolicy``) follow the common conventions (see NOTES "Drift conventions"):

* PSI < 0.10 stable, 0.10-0.25 moderate, > 0.25 significant. Numeric features
  are binned at the reference's deciles, categorical ones by value; a missing
  value is a bin of its own (a tracking outage shows up as missingness).
* The test depends on the reference size: up to 1,000 rows, KS (numeric) and
  chi-squared (categorical) at p < 0.05; above, the normed Wasserstein distance
  (numeric, divided by the reference's standard deviation) and the
  Jensen-Shannon distance (categorical, base 2), drifted at >= 0.1. On large
  samples a p-value flags differences too small to matter; a distance does not.

A feature's severity: ``error`` when PSI is significant *and* the test says it
drifted, ``warn`` when PSI is moderate and the test says it drifted, else ``ok``.
On a small day PSI is inflated by sampling alone (about ``(bins - 1) * (1/n + 1/m)``
for samples of n and m rows of the same distribution), so PSI counts only above
``DriftPolicy.noise_factor`` times that floor: 60 new leads cannot show a moderate change, a
new channel still shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

from lead_scoring.policies import DriftPolicy

BINS = 10
EPSILON = 1e-4  # share given to a bin one side never fills, so PSI stays finite
MISSING = "<missing>"
SEVERITIES = ("ok", "warn", "error")


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    kind: str
    psi: float
    test: str
    statistic: float
    p_value: float | None
    severity: str
    reference_rows: int
    current_rows: int


def psi_from_shares(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.clip(np.asarray(expected, dtype=float), EPSILON, None)
    a = np.clip(np.asarray(actual, dtype=float), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


def _numeric_bins(reference: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts per decile bin of the reference (ties merged), plus a bin for missing values."""
    ref_known, cur_known = reference[~np.isnan(reference)], current[~np.isnan(current)]
    edges = np.unique(np.quantile(ref_known, np.linspace(0, 1, BINS + 1)[1:-1])) if len(ref_known) else np.array([])
    ref_counts = np.bincount(np.searchsorted(edges, ref_known, side="right"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur_known, side="right"), minlength=len(edges) + 1)
    return (
        np.append(ref_counts, np.isnan(reference).sum()),
        np.append(cur_counts, np.isnan(current).sum()),
    )


def _category_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    ref = reference.astype("object").where(reference.notna(), MISSING).astype(str)
    cur = current.astype("object").where(current.notna(), MISSING).astype(str)
    values = sorted(set(ref) | set(cur))
    return (
        ref.value_counts().reindex(values, fill_value=0).to_numpy(),
        cur.value_counts().reindex(values, fill_value=0).to_numpy(),
    )


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(float)


def numeric_test(reference: np.ndarray, current: np.ndarray, policy: DriftPolicy = DriftPolicy()) -> tuple[str, float, float | None, bool]:
    """(test, statistic, p-value or None, drifted) on the non-missing values."""

    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    if len(ref) == 0 or len(cur) == 0:
        return ("ks" if len(reference) <= policy.small_reference_rows else "wasserstein"), 0.0, None, False
    if len(reference) <= policy.small_reference_rows:
        result = stats.ks_2samp(ref, cur)
        return "ks", float(result.statistic), float(result.pvalue), bool(result.pvalue < policy.p_value)
    spread = float(np.std(ref)) or 1.0
    distance = float(stats.wasserstein_distance(ref, cur)) / spread
    return "wasserstein", distance, None, distance >= policy.distance


def categorical_test(
    ref_counts: np.ndarray, cur_counts: np.ndarray, reference_rows: int, policy: DriftPolicy = DriftPolicy()
) -> tuple[str, float, float | None, bool]:

    if reference_rows <= policy.small_reference_rows:
        seen = (ref_counts + cur_counts) > 0
        if seen.sum() < 2 or cur_counts.sum() == 0 or ref_counts.sum() == 0:
            return "chi2", 0.0, 1.0, False
        chi2, p_value, _, _ = stats.chi2_contingency(np.vstack([ref_counts[seen], cur_counts[seen]]))
        return "chi2", float(chi2), float(p_value), bool(p_value < policy.p_value)
    js = float(distance.jensenshannon(_shares(ref_counts), _shares(cur_counts), base=2))
    js = 0.0 if np.isnan(js) else js
    return "jensen_shannon", js, None, js >= policy.distance


def noise_floor(bins: int, reference_rows: int, current_rows: int, policy: DriftPolicy = DriftPolicy()) -> float:
    """PSI that sampling alone reaches on samples of these sizes, times the policy's noise factor."""
    if not reference_rows or not current_rows:
        return float("inf")
    return policy.noise_factor * (bins - 1) * (1.0 / reference_rows + 1.0 / current_rows)


def level(psi: float, floor: float, policy: DriftPolicy) -> str:
    """The PSI's severity before any test: above the significant or moderate threshold (and the noise floor)."""
    return "error" if psi > max(policy.psi_significant, floor) else "warn" if psi > max(policy.psi_moderate, floor) else "ok"


def severity(psi: float, drifted: bool, floor: float = 0.0, policy: DriftPolicy = DriftPolicy()) -> str:
    if psi > max(policy.psi_significant, floor) and drifted:
        return "error"
    if psi > max(policy.psi_moderate, floor) and drifted:
        return "warn"
    return "ok"


def feature_drift(
    reference: pd.DataFrame, current: pd.DataFrame, features: dict[str, str], policy: DriftPolicy = DriftPolicy()
) -> list[FeatureDrift]:
    """One result per feature; ``features`` maps a column to its kind ('numeric' or 'categorical').

    Booleans count as categorical.
    """
    results = []
    for name, kind in features.items():
        if kind == "numeric":
            ref = pd.to_numeric(reference[name], errors="coerce").to_numpy(dtype=float)
            cur = pd.to_numeric(current[name], errors="coerce").to_numpy(dtype=float)
            ref_counts, cur_counts = _numeric_bins(ref, cur)
            test, statistic, p_value, drifted = numeric_test(ref, cur, policy)
        else:
            ref_counts, cur_counts = _category_counts(reference[name], current[name])
            test, statistic, p_value, drifted = categorical_test(ref_counts, cur_counts, len(reference), policy)
        psi = psi_from_shares(_shares(ref_counts), _shares(cur_counts)) if len(current) and len(reference) else 0.0
        floor = noise_floor(int(((ref_counts + cur_counts) > 0).sum()), len(reference), len(current), policy)
        results.append(
            FeatureDrift(name, kind, psi, test, statistic, p_value, severity(psi, drifted, floor, policy), len(reference), len(current))
        )
    return results


def prediction_drift(
    reference_probability: np.ndarray, current_probability: np.ndarray, policy: DriftPolicy = DriftPolicy()
) -> tuple[float, str]:
    """PSI of the predicted probabilities (reference deciles) and its severity, above the noise floor."""
    ref = np.asarray(reference_probability, dtype=float)
    cur = np.asarray(current_probability, dtype=float)
    if len(ref) == 0 or len(cur) == 0:
        return 0.0, "ok"
    ref_counts, cur_counts = _numeric_bins(ref, cur)
    psi = psi_from_shares(_shares(ref_counts), _shares(cur_counts))
    return psi, level(psi, noise_floor(len(ref_counts) - 1, len(ref), len(cur), policy), policy)


def worst(severities) -> str:
    found = set(severities)
    return next((s for s in reversed(SEVERITIES) if s in found), "ok")
