"""Guards on the tables that feed training and scoring, each a plain function.

Each returns what it found (empty = pass), so a Dagster check, a test or a
notebook can call it and decide what to do. None of them trusts the dbt
logic it guards: consent and maturity are re-derived from the raw tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from lead_scoring.policies import LeakagePolicy
from lead_scoring.warehouse import Warehouse

# Column names that hold personal data. Whole names only: `email_open_30d` is a count, `email` is not.
PII_PATTERN = re.compile(
    r"^(e_?mail(_address)?|phone(_number)?|mobile|(full_|first_|last_|contact_)?name|(street_)?address|"
    r"company(_name)?|ip(_address)?|date_of_birth)$",
    re.I,
)


def unexpected_columns(columns: list[str], allowed: set[str]) -> dict[str, list[str]]:
    """Columns outside the allow-list, and which of them look like personal data."""
    extra = [c for c in columns if c not in allowed]
    return {"not_allowed": extra, "pii": [c for c in columns if PII_PATTERN.search(c)]}


# The same change delivered twice: the later landing day's flag holds, whenever each day was (re)loaded,
# as in staging (macro latest_delivery).
_LATEST_CONSENT = """
    with latest as (
        select lead_id, ml_processing_allowed,
               row_number() over (partition by lead_id order by changed_at desc, _landed_date desc, _loaded_at desc) as rn
        from raw.consents
    )
    select lead_id from latest where rn = 1 and not ml_processing_allowed
"""


def withdrawn_consent(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """Leads of ``table`` (with their row counts) whose latest consent change in ``raw.consents`` withdraws it."""
    return warehouse.query(
        f"""
        select t.lead_id, count(*) as rows
        from {table} as t join ({_LATEST_CONSENT}) as withdrawn using (lead_id)
        group by t.lead_id order by t.lead_id
        """
    )


def withdrawn_consent_ids(warehouse: Warehouse, lead_ids: pd.Series) -> set[str]:
    """Which of ``lead_ids`` have withdrawn consent by now."""
    return set(warehouse.query(_LATEST_CONSENT).lead_id) & set(lead_ids)


def immature_labels(frame: pd.DataFrame, label_window_days: int, data_through: pd.Timestamp) -> pd.DataFrame:
    """Rows whose label window had not closed by the end of the observed data."""
    window_end = pd.to_datetime(frame["as_of_date"]) + pd.Timedelta(days=label_window_days)
    return frame.loc[window_end > data_through + pd.Timedelta(days=1), ["lead_id", "as_of_date"]]


@dataclass
class LeakageReport:
    """Per feature: the ROC AUC of its values and of its "is present" indicator; ``auc`` is the stronger of the two."""

    auc: dict[str, float]
    value_auc: dict[str, float] = field(default_factory=dict)
    presence_auc: dict[str, float] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def evidence(self, name: str) -> str:
        """What makes the feature suspect, in words: its values, or only whether it is filled in."""
        if self.presence_auc.get(name, 0.5) > self.value_auc.get(name, 0.5):
            return f"whether it is filled in ranks the outcome with ROC AUC {self.presence_auc[name]:.3f} (its values {self.value_auc[name]:.3f})"
        return f"univariate ROC AUC {self.auc[name]:.3f}"


def univariate_auc(values: pd.Series, label: np.ndarray) -> float:
    """How well one feature alone ranks the outcome, direction-free (0.5 = no signal, 1 = perfect).

    Categories are replaced by their conversion rate, so a category that exists
    only for converted leads scores as high as a leaking number.
    """
    if values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values):
        filled = values.astype(object).where(values.notna(), "__missing__")
        values = filled.map(pd.Series(label, index=filled.index).groupby(filled).mean())
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    numeric = numeric.fillna(numeric.min() - 1 if numeric.notna().any() else 0.0)
    if numeric.nunique() < 2 or len(np.unique(label)) < 2:
        return 0.5
    auc = roc_auc_score(label, numeric)
    return float(max(auc, 1 - auc))


def presence_auc(values: pd.Series, label: np.ndarray) -> float:
    """How well "is this feature filled in" alone ranks the outcome (0.5 when it always or never is)."""
    return univariate_auc(values.notna().astype(int), label)


def leakage_scan(
    frame: pd.DataFrame, features: list[str], label: str, allow_list: set[str], policy: LeakagePolicy = LeakagePolicy()
) -> LeakageReport:
    """Values and missingness both: a column filled in only once a lead converts (a deal stage, a close reason)
    leaks through whether it is present, even when its values alone rank the outcome weakly."""
    y = frame[label].to_numpy()
    values = {name: univariate_auc(frame[name], y) for name in features}
    presence = {name: presence_auc(frame[name], y) for name in features}
    report = LeakageReport({name: max(values[name], presence[name]) for name in features}, values, presence)
    for name, auc in sorted(report.auc.items(), key=lambda item: -item[1]):
        if auc > policy.block_auc:
            (report.allowed if name in allow_list else report.blocked).append(name)
        elif auc > policy.warn_auc:
            report.warned.append(name)
    return report


@dataclass
class LeakageEvidence:
    """What the promotion gate weighs against a model that looks too good: the best single feature that is not
    itself a suspect, and the features that rank the outcome best on their own (the likeliest carriers)."""

    best_feature: str | None
    best_feature_auc: float
    carriers: dict[str, str]  # feature -> why (its ROC AUC alone, of values or of presence)


def leakage_evidence(frame: pd.DataFrame, features: list[str], label: str, policy: LeakagePolicy = LeakagePolicy()) -> LeakageEvidence:
    """On the test rows: the best honest single feature (at most ``block_auc``), and the suspects: above
    ``warn_auc``, or filled in far more often for one outcome (presence AUC above ``presence_warn_auc``: a leak
    spread over several deal columns shows there), at most ten; when none is, the three strongest features."""
    report = leakage_scan(frame, features, label, set(), policy)
    honest = {name: auc for name, auc in report.auc.items() if auc <= policy.block_auc}
    best = max(sorted(honest), key=honest.get) if honest else None
    ranked = sorted(report.auc, key=lambda name: (-report.auc[name], name))
    suspects = [name for name in ranked if report.auc[name] > policy.warn_auc or report.presence_auc[name] > policy.presence_warn_auc]
    suspects = suspects[:10] or ranked[:3]
    return LeakageEvidence(best, honest.get(best, 0.5), {name: report.evidence(name) for name in suspects})
