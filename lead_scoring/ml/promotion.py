"""Should the challenger replace the champion? Both are judged on the same test rows.

The gate, every condition reported whether it passes or not:

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
   point estimate alone would reject good models by chance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lead_scoring.policies import PromotionPolicy

if TYPE_CHECKING:  # pandas in annotations only
    import pandas as pd


@dataclass
class PromotionDecision:
    promote: bool
    reasons: list[str] = field(default_factory=list)


def _check(passed: bool, text: str, reasons: list[str]) -> bool:
    reasons.append(f"{'PASS' if passed else 'FAIL'}: {text}")
    return passed


def decide(
    challenger_auc: float,
    baseline_auc: float,
    champion_auc: float | None,
    challenger_ece: float,
    slices: pd.DataFrame,
    policy: PromotionPolicy = PromotionPolicy(),
) -> PromotionDecision:
    """``champion_auc``: the champion on the challenger's test rows (None when there is no champion to compare)."""
    reasons: list[str] = []
    passed = [_check(challenger_auc > baseline_auc,
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
    return PromotionDecision(all(passed), reasons)
