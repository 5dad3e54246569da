"""Should the challenger replace the champion? Both are judged on the same test rows."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PromotionDecision:
    promote: bool
    reasons: list[str] = field(default_factory=list)


def decide(challenger_auc: float, baseline_auc: float, champion_auc: float | None) -> PromotionDecision:
    """Promote only a model that beats the rules baseline and is no worse than the champion.

    ``champion_auc`` is the current champion re-scored on the challenger's test set
    (None when there is no champion yet).
    """
    reasons = []
    beats_baseline = challenger_auc > baseline_auc
    reasons.append(
        f"challenger ROC AUC {challenger_auc:.4f} {'beats' if beats_baseline else 'does not beat'} "
        f"the rules baseline {baseline_auc:.4f}"
    )
    if champion_auc is None:
        reasons.append("no champion yet")
        return PromotionDecision(beats_baseline, reasons)
    beats_champion = challenger_auc >= champion_auc
    reasons.append(
        f"challenger ROC AUC {challenger_auc:.4f} {'is at least' if beats_champion else 'is below'} "
        f"the champion's {champion_auc:.4f} on the same test set"
    )
    return PromotionDecision(beats_baseline and beats_champion, reasons)
