"""Probabilities are numbers in [0, 1]: a model that returns anything else is stopped before it is evaluated or scores.

A NaN from a model would otherwise pass silently: it sorts last in a ranking,
becomes a grade, a score of 0 and a reason of NaN effect, and ROC AUC and
calibration computed over it are meaningless. Infinite or out-of-range values
come from a broken calibration or a model of another kind behind the alias.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lead_scoring.errors import LeadScoringError

EXAMPLES = 5


class InvalidProbabilities(LeadScoringError):
    pass


def _outside(values: np.ndarray, low: float, high: float) -> np.ndarray:
    return ~(np.isfinite(values) & (values >= low) & (values <= high))


def require_valid(probability: np.ndarray, source: str, ids: pd.Series | np.ndarray | None = None,
                  low: float = 0.0, high: float = 1.0) -> None:
    """Raise :class:`InvalidProbabilities` naming ``source`` and the first rows (by ``ids`` when given) if a value is
    not a finite number in [``low``, ``high``].

    ``probability`` may be a matrix (one row per lead): a row is invalid when any of its values is. The reasons'
    effects, differences of two probabilities, are checked with ``low=-1``.
    """
    values = np.asarray(probability, dtype=float)
    if values.size == 0:
        return
    values = values.reshape(len(values), -1)
    outside = _outside(values, low, high)
    rows = np.flatnonzero(outside.any(axis=1))
    if rows.size == 0:
        return
    labels = np.asarray(ids)[rows[:EXAMPLES]] if ids is not None else rows[:EXAMPLES]
    shown = ", ".join(f"{label}: {values[row][outside[row]][0]:g}" for label, row in zip(labels, rows[:EXAMPLES]))
    raise InvalidProbabilities(
        f"{source} gave {rows.size} of {len(values)} rows a value that is not a finite number in [{low:g}, {high:g}] "
        f"(e.g. {shown}); nothing was evaluated or written"
    )
