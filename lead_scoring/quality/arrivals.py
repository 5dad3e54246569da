"""Late arrivals: rows that land well after the event they record.

The features of a snapshot see only what had landed before its as-of date, so
a late row changes no past snapshot: it counts from its landing day on. Its
cost is elsewhere: the training rows never saw it, the serving features see it
at once, and a source that keeps landing late makes every snapshot poorer than
what is eventually known. Worth a warning, not a stop: the rows are true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from lead_scoring.policies import ArrivalsPolicy

# The event time of each source whose rows are events. Leads and campaigns are entities:
# their re-deliveries are corrections, versioned by staging, not late events.
EVENT_TIME = {"activities": "occurred_at", "conversions": "converted_at", "consents": "changed_at"}


@dataclass
class LateArrivals:
    table: str
    rows: int = 0
    late_rows: int = 0
    late_by_landing_day: dict[str, int] = field(default_factory=dict)
    earliest_late_event: date | None = None
    policy: ArrivalsPolicy = ArrivalsPolicy()

    @property
    def share(self) -> float:
        return self.late_rows / self.rows if self.rows else 0.0

    @property
    def warns(self) -> bool:
        return self.share > self.policy.late_warn_share


def late_arrivals(table: str, days: Iterable[tuple[date, pa.Table]], policy: ArrivalsPolicy = ArrivalsPolicy()) -> LateArrivals:
    """Count, over ``(landing day, rows)`` pairs of one source, the rows whose event day is late.

    Late: the event day is more than ``policy.late_tolerance_days`` before the landing day (a sync that
    runs after midnight lands the last hours of the previous day: on time).
    """
    found = LateArrivals(table, policy=policy)
    for day, rows in days:
        event_day = pc.cast(rows.column(EVENT_TIME[table]), pa.date32())
        late = pc.fill_null(pc.less(event_day, pa.scalar(day - timedelta(days=policy.late_tolerance_days), pa.date32())), False)
        count = int(pc.sum(late).as_py() or 0)
        found.rows += rows.num_rows
        if count:
            found.late_rows += count
            found.late_by_landing_day[day.isoformat()] = count
            earliest = pc.min(pc.filter(event_day, late)).as_py()
            found.earliest_late_event = min(filter(None, [found.earliest_late_event, earliest]))
    return found
