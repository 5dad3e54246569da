"""Which leads sales should call: a probability threshold from a business rule.

Two rules, chosen in the training run config:

- ``capacity``: sales can call the top ``top_share`` of leads. The threshold is
  the probability reached by that share of the validation period's leads, so
  it is fixed before the test period is looked at.
- ``cost_ratio``: a missed conversion costs ``cost_ratio`` times a wasted call.
  Calling pays when ``p * cost_ratio > 1 - p``, i.e. ``p > 1 / (1 + cost_ratio)``;
  this needs calibrated probabilities, which the model has.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("capacity", "cost_ratio")


@dataclass(frozen=True)
class ThresholdRule:
    rule: str = "capacity"
    top_share: float = 0.20
    cost_ratio: float = 9.0

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"threshold rule {self.rule!r} is not one of {RULES}")
        if not 0 < self.top_share < 1:
            raise ValueError(f"top_share must be between 0 and 1, not {self.top_share}")
        if self.cost_ratio <= 0:
            raise ValueError(f"cost_ratio must be positive, not {self.cost_ratio}")

    def threshold(self, validation_probability: np.ndarray) -> float:
        if self.rule == "cost_ratio":
            return 1.0 / (1.0 + self.cost_ratio)
        return float(np.quantile(np.asarray(validation_probability, dtype=float), 1.0 - self.top_share))

    def describe(self) -> str:
        if self.rule == "cost_ratio":
            return f"call when a missed conversion ({self.cost_ratio:g} x a call) outweighs the call"
        return f"call the top {self.top_share:.0%} of leads (sales capacity)"

    def as_params(self) -> dict[str, object]:
        return {"threshold_rule": self.rule, "threshold_top_share": self.top_share, "threshold_cost_ratio": self.cost_ratio}
