"""Source freshness: did every raw source land its daily file?

Every source delivers one file per day (empty when nothing happened), so the
lag of a source on day D is D minus the last day it landed. The policy is per
source: ``FreshnessPolicy.source_max_lag_days`` beyond which its data is stale. All features read
leads, activities, consents and campaigns, and conversions decide who is still
open, so every source is needed fresh: the default allows no lag. A stale source
is an error (scoring would run on features missing a day); there is no warn level.
A flat export has one source, the export itself, stale a week after its import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lead_scoring.policies import FreshnessPolicy
from lead_scoring.simulator import landing
from lead_scoring.simulator.schema import RAW_TABLES


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_landed_day: date | None
    lag_days: int | None
    max_lag_days: int
    severity: str

    def sentence(self) -> str:
        if self.last_landed_day is None:
            return f"raw source {self.source!r} has never landed a file"
        return f"raw source {self.source!r} last landed {self.last_landed_day} ({self.lag_days} days behind, {self.max_lag_days} allowed)"


def source_freshness(landing_dir: Path, as_of: date, policy: FreshnessPolicy = FreshnessPolicy()) -> list[SourceFreshness]:
    """Freshness of every source on landing day ``as_of`` (files landed after it do not count)."""
    found = []
    max_lag = policy.source_max_lag_days
    for source in RAW_TABLES:
        days = [d for d in landing.landed_days(landing_dir, source) if d <= as_of]
        last = days[-1] if days else None
        lag = (as_of - last).days if last else None
        stale = lag is None or lag > max_lag
        found.append(SourceFreshness(source, last, lag, max_lag, "error" if stale else "ok"))
    return found


def export_freshness(name: str, imported_on: date, as_of: date, max_age_days: int = FreshnessPolicy().export_max_age_days) -> SourceFreshness:
    """A flat export is as fresh as its import: scores as of more than a week after it would pass an old CRM state off as today's."""
    age = max((as_of - imported_on).days, 0)
    return SourceFreshness(f"flat_export:{name}", imported_on, age, max_age_days, "error" if age > max_age_days else "ok")


def latest_landed_day(landing_dir: Path) -> date | None:
    """The newest day any source landed: 'today' for a job that is not partitioned by day."""
    days = [d for source in RAW_TABLES for d in landing.landed_days(landing_dir, source)[-1:]]
    return max(days) if days else None
