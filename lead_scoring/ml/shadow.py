"""Shadow scoring: before the aliases move, the challenger scores today's open leads beside the champion.

The test rows say which model ranks better; the open leads say what would change for sales the day after a
promotion: how many leads would get another grade, and how far the score distribution would move (PSI of the
challenger's probabilities over the champion's deciles, the statistic that monitoring's prediction drift uses).
It is also the canary of the challenger on live rows: a model that cannot score them is not promoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lead_scoring.ml import grading
from lead_scoring.monitoring.drift import prediction_drift

# Enough for a grade share to +-0.3 percentage points and a stable PSI; a sample keeps a large CRM's retrain short.
MAX_LEADS = 100_000


@dataclass(frozen=True)
class ShadowComparison:
    leads: int
    grade_agreement: float  # share of the leads both models give the same grade
    score_psi: float
    champion_grade_shares: dict[str, float]
    challenger_grade_shares: dict[str, float]
    champion_mean_probability: float
    challenger_mean_probability: float

    def as_dict(self) -> dict[str, float | int]:
        """The figures the promotion evidence records (registry tags, the asset's metadata)."""
        return {
            "shadow_leads": self.leads,
            "shadow_grade_agreement": self.grade_agreement,
            "shadow_score_psi": self.score_psi,
            "shadow_champion_mean_probability": self.champion_mean_probability,
            "shadow_challenger_mean_probability": self.challenger_mean_probability,
            **{f"shadow_grade_{g}_champion": s for g, s in self.champion_grade_shares.items()},
            **{f"shadow_grade_{g}_challenger": s for g, s in self.challenger_grade_shares.items()},
        }

    def describe(self) -> str:
        return (f"shadow scoring of {self.leads} open leads: {self.grade_agreement:.1%} keep their grade, "
                f"score PSI {self.score_psi:.3f} (mean probability {self.champion_mean_probability:.3f} -> "
                f"{self.challenger_mean_probability:.3f})")


def sample(open_leads: pd.DataFrame, max_leads: int = MAX_LEADS) -> pd.DataFrame:
    """The open leads to shadow-score: all of them up to ``max_leads``, else a seeded sample (the same every run)."""
    ordered = open_leads.sort_values("lead_id", kind="stable")  # a warehouse returns rows in no set order
    if len(ordered) <= max_leads:
        return ordered
    return ordered.sample(n=max_leads, random_state=0).sort_values("lead_id", kind="stable")


def _shares(grades: np.ndarray) -> dict[str, float]:
    return {g: float(np.mean(grades == g)) if len(grades) else 0.0 for g in (*grading.GRADE_SHARES, "D")}


def compare(champion_probability: np.ndarray, champion_bands: dict[str, float],
            challenger_probability: np.ndarray, challenger_bands: dict[str, float]) -> ShadowComparison:
    """Each model grades the same leads by its own bands (as scoring would); the PSI compares the probabilities."""
    champion = np.asarray(champion_probability, dtype=float)
    challenger = np.asarray(challenger_probability, dtype=float)
    champion_grades = grading.assign_grades(champion, champion_bands)
    challenger_grades = grading.assign_grades(challenger, challenger_bands)
    psi, _ = prediction_drift(champion, challenger)
    return ShadowComparison(
        leads=len(champion),
        grade_agreement=float(np.mean(champion_grades == challenger_grades)) if len(champion) else 1.0,
        score_psi=psi,
        champion_grade_shares=_shares(champion_grades),
        challenger_grade_shares=_shares(challenger_grades),
        champion_mean_probability=float(champion.mean()) if len(champion) else 0.0,
        challenger_mean_probability=float(challenger.mean()) if len(challenger) else 0.0,
    )
