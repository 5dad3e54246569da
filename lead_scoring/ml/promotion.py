"""Should the challenger replace the champion? Both are judged on the same test rows.

The gate, every condition reported whether it passes or not:

0. no probable leakage: its test ROC AUC is below ``model_auc_block`` (0.97)
   and at most ``max_gain_over_feature`` (0.30) above the best single feature
   that is not itself a leakage suspect. A lead-scoring model that ranks
   better has almost always seen the outcome, through a column filled in after
   it or a combination of columns whose presence tells it; the reason names
   the likeliest carriers;
1. the challenger's test ROC AUC beats the rules baseline's;
2. if there is a champion (re-scored on the challenger's test rows): the
   challenger is not worse than it by more than ``auc_margin`` and better by
   at least ``min_gain``. With the defaults (margin 0.01, gain 0.0) it must be
   at least as good; a negative ``min_gain`` lets a fresher model in at a small
   loss, never beyond ``auc_margin``;
3. its expected calibration error on the test rows is at most ``max_ece``;
4. no slice (lead source, country, company size, seniority value) with at
   least ``min_slice_rows`` test rows has a ROC AUC credibly below
   ``slice_floor``: its 95% bootstrap interval lies wholly under the floor.
   A slice of a few hundred rows has an AUC interval about 0.2 wide, so its
   point estimate alone would reject good models by chance;
5. calibration in the large per group: in no country, company size or
   seniority group with at least ``min_group_conversions`` test conversions
   does the mean predicted probability miss the observed conversion rate by
   more than ``max_group_calibration_gap`` (0.5) of that rate. A model can be
   calibrated overall and still promise sales twice the conversions of one
   country; the score then misleads whoever works that group's leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lead_scoring.policies import LeakagePolicy, PromotionPolicy

if TYPE_CHECKING:  # in annotations only: pandas, and scikit-learn behind the guards
    import pandas as pd

    from lead_scoring.quality.guards import LeakageEvidence

CALIBRATION_GROUPS = ("country", "company_size", "seniority")


@dataclass
class PromotionDecision:
    promote: bool
    reasons: list[str] = field(default_factory=list)


def _check(passed: bool, text: str, reasons: list[str]) -> bool:
    reasons.append(f"{'PASS' if passed else 'FAIL'}: {text}")
    return passed


def _no_probable_leakage(auc: float, leakage: LeakageEvidence, policy: LeakagePolicy, reasons: list[str]) -> bool:
    gain = auc - leakage.best_feature_auc
    best = f"the best honest single feature ({leakage.best_feature}, {leakage.best_feature_auc:.4f})" if leakage.best_feature \
        else "any single feature (every one is a leakage suspect)"
    if auc < policy.model_auc_block and gain <= policy.max_gain_over_feature:
        return _check(True, f"no probable leakage: test ROC AUC {auc:.4f} is below {policy.model_auc_block:.2f} and "
                            f"{gain:+.4f} against {best}, at most {policy.max_gain_over_feature:+.2f}", reasons)
    why = f"at least {policy.model_auc_block:.2f}" if auc >= policy.model_auc_block else \
        f"{gain:+.4f} above {best}, more than {policy.max_gain_over_feature:+.2f}"
    carriers = "; ".join(f"{name} ({evidence})" for name, evidence in leakage.carriers.items())
    return _check(False, f"probable leakage: test ROC AUC {auc:.4f} is {why}; the columns likeliest to carry it: {carriers}. "
                         "A column filled in after the outcome (deal stage, close reason, sales notes) belongs in the mapping's "
                         "post_outcome list", reasons)


def decide(
    challenger_auc: float,
    baseline_auc: float,
    champion_auc: float | None,
    challenger_ece: float,
    slices: pd.DataFrame,
    policy: PromotionPolicy = PromotionPolicy(),
    *,
    leakage: LeakageEvidence,
    leakage_policy: LeakagePolicy = LeakagePolicy(),
) -> PromotionDecision:
    """``champion_auc``: the champion on the challenger's test rows (None when there is no champion to compare);
    ``leakage``: the single features on the same test rows (``guards.leakage_evidence``)."""
    reasons: list[str] = []
    passed = [_no_probable_leakage(challenger_auc, leakage, leakage_policy, reasons), _check(challenger_auc > baseline_auc,
                     f"challenger ROC AUC {challenger_auc:.4f} vs rules baseline {baseline_auc:.4f} (must beat it)", reasons)]
    if champion_auc is None:
        reasons.append("PASS: no champion to compare with")
    else:
        gain = challenger_auc - champion_auc
        passed.append(_check(gain >= -policy.auc_margin,
                             f"challenger ROC AUC {challenger_auc:.4f} vs champion {champion_auc:.4f} on the same test rows: "
                             f"change {gain:+.4f}, may lose at most {policy.auc_margin:.4f}", reasons))
        passed.append(_check(gain >= policy.min_gain, f"AUC change {gain:+.4f} must be at least {policy.min_gain:+.4f}", reasons))
    passed.append(_check(challenger_ece <= policy.max_ece,
                         f"expected calibration error {challenger_ece:.4f} (at most {policy.max_ece:.4f})", reasons))
    big = slices[(slices["rows"] >= policy.min_slice_rows) & slices["roc_auc"].notna()]
    low = big[big["roc_auc_ci_high"] < policy.slice_floor]
    if big.empty:
        reasons.append(f"PASS: no slice has {policy.min_slice_rows}+ test rows with both outcomes to hold to the floor")
    else:
        worst = big.loc[big["roc_auc"].idxmin()]
        interval = lambda r: f"{r['roc_auc']:.3f} [{r['roc_auc_ci_low']:.3f}, {r['roc_auc_ci_high']:.3f}]"
        detail = ", ".join(f"{r['slice']}={r['value']} {interval(r)} ({r['rows']} rows)" for _, r in low.iterrows()) or "none"
        passed.append(_check(low.empty, f"slices with {policy.min_slice_rows}+ rows whose ROC AUC 95% interval lies below "
                                         f"{policy.slice_floor:.2f}: {detail} (worst {worst['slice']}={worst['value']} {interval(worst)})",
                             reasons))
    passed.append(_groups_calibrated(slices, policy, reasons))
    return PromotionDecision(all(passed), reasons)


def _groups_calibrated(slices: pd.DataFrame, policy: PromotionPolicy, reasons: list[str]) -> bool:
    groups = slices[slices["slice"].isin(CALIBRATION_GROUPS) & (slices["conversions"] >= policy.min_group_conversions)]
    # A group of only conversions has no metrics (and a table of such groups no prediction_bias column): not judged.
    groups = groups[groups["prediction_bias"].notna()] if "prediction_bias" in groups else groups.iloc[0:0]
    if groups.empty:
        reasons.append(f"PASS: no country, company size or seniority group has {policy.min_group_conversions}+ test "
                       "conversions to judge its calibration")
        return True
    observed = groups["conversions"] / groups["rows"]
    groups = groups.assign(observed=observed, predicted=observed + groups["prediction_bias"],  # bias: predicted - observed
                           gap=groups["prediction_bias"].abs() / observed)
    off = groups[groups["gap"] > policy.max_group_calibration_gap]
    describe = lambda r: f"{r['slice']}={r['value']} predicted {r['predicted']:.3f} vs observed {r['observed']:.3f}"
    worst = groups.loc[groups["gap"].idxmax()]
    detail = ", ".join(describe(r) for _, r in off.iterrows()) or "none"
    return _check(off.empty, f"groups with {policy.min_group_conversions}+ conversions whose mean prediction misses the observed "
                             f"rate by more than {policy.max_group_calibration_gap:.0%} of it: {detail} (worst {describe(worst)}, "
                             f"{worst['gap']:.0%})", reasons)
