"""When to retrain: the decisions behind the sensors, as plain functions.

Data time, not wall-clock time: "today" is the newest monitored as-of date, so
a replay of past days decides exactly as production would have.

Defaults (``policies.RetrainPolicy``):

* drift or decay must be significant (severity ``error``) on ``days_required``
  (2) of the last ``window_days`` (3) monitored days, counting only days after
  the last retrain: one noisy day never triggers, and a new champion is judged
  on its own days;
* no drift-triggered retrain within ``cooldown_days`` (7) of the last retrain
  of any kind (scheduled, drift, freshness), so a persisting change cannot
  cause a retrain storm;
* the champion must have been trained on data at most ``max_model_age_days``
  (14) old; when it is older (and no retrain is in its cool-down) the model
  freshness sensor retrains;
* nothing retrains while a source is stale: it would learn from a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lead_scoring.policies import RetrainPolicy

# Signals in the order they are reported when several hold on the same day.
SIGNALS = ("feature_drift", "prediction_drift", "performance_decay")


@dataclass(frozen=True)
class Decision:
    launch: bool
    reason: str
    trigger: str | None = None  # the run tag value, e.g. "drift:feature_drift"


@dataclass(frozen=True)
class MonitoringState:
    """What the sensors read from the monitoring tables."""

    today: date | None  # newest monitored as-of date
    significant_days: dict[str, set[date]]  # signal -> as-of dates on which it was significant
    last_retrain: date | None  # data as-of date of the last retrain of any kind
    champion_trained: date | None  # data as-of date of the champion's training
    champion_version: str | None
    stale_sources: list[str]


def _blocked(state: MonitoringState, policy: RetrainPolicy) -> Decision | None:
    if state.today is None:
        return Decision(False, "nothing monitored yet")
    if state.stale_sources:
        return Decision(False, f"waiting for fresh data: {', '.join(state.stale_sources)} stale as of {state.today}")
    if state.last_retrain is not None and (state.today - state.last_retrain).days < policy.cooldown_days:
        return Decision(False, f"cool-down: last retrain as of {state.last_retrain}, {policy.cooldown_days} days must pass")
    return None


def drift_decision(state: MonitoringState, policy: RetrainPolicy) -> Decision:
    blocked = _blocked(state, policy)
    if blocked:
        return blocked
    first = state.today - timedelta(days=policy.window_days - 1)
    if state.last_retrain is not None:
        first = max(first, state.last_retrain + timedelta(days=1))
    for signal in SIGNALS:
        days = sorted(d for d in state.significant_days.get(signal, ()) if first <= d <= state.today)
        if len(days) >= policy.days_required:
            kind = "decay" if signal == "performance_decay" else "drift"
            return Decision(
                True,
                f"{signal} significant on {len(days)} of the last {policy.window_days} days ({', '.join(map(str, days))})",
                f"{kind}:{signal}",
            )
    return Decision(False, f"no signal significant on {policy.days_required} of the last {policy.window_days} days")


def freshness_decision(state: MonitoringState, policy: RetrainPolicy) -> Decision:
    if state.champion_trained is None or state.today is None:
        return Decision(False, "no champion with a recorded training date")
    age = (state.today - state.champion_trained).days
    if age <= policy.max_model_age_days:
        return Decision(False, f"champion v{state.champion_version} is {age} days old (policy {policy.max_model_age_days})")
    blocked = _blocked(state, policy)
    if blocked:
        return blocked
    return Decision(
        True,
        f"champion v{state.champion_version} was trained on data as of {state.champion_trained}, "
        f"{age} days old: over the {policy.max_model_age_days}-day freshness policy",
        "model_freshness:champion_too_old",
    )
