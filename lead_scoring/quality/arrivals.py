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

# The event time of each source whose rows are events. Leads and campaigns are entities:
# their re-deliveries are corrections, versioned by staging, not late events.
EVENT_TIME = {"activities": "occurred_at", "conversions": "converted_at", "consents": "changed_at"}
# A row is late when its event day is more than this many days before its landing day
# (a sync that runs after midnight lands the last hours of the previous day: on time).
LATE_TOLERANCE_DAYS = 1
# Above this share of a source's landed rows, the late-arrivals check warns.
LATE_WARN_SHARE = 0.01


@dataclass
class LateArrivals:
    table: str
    rows: int = 0
    late_rows: int = 0
    late_by_landing_day: dict[str, int] = field(default_factory=dict)
    earliest_late_event: date | None = None

    @property
    def share(self) -> float:
        return self.late_rows / self.rows if self.rows else 0.0

    @property
    def warns(self) -> bool:
        return self.share > LATE_WARN_SHARE


def late_arrivals(table: str, days: Iterable[tuple[date, pa.Table]]) -> LateArrivals:
    """Count, over ``(landing day, rows)`` pairs of one source, the rows whose event day is late (see LATE_TOLERANCE_DAYS)."""
    found = LateArrivals(table)
    for day, rows in days:
        event_day = pc.cast(rows.column(EVENT_TIME[table]), pa.date32())
        late = pc.fill_null(pc.less(event_day, pa.scalar(day - timedelta(days=LATE_TOLERANCE_DAYS), pa.date32())), False)
        count = int(pc.sum(late).as_py() or 0)
        found.rows += rows.num_rows
        if count:
            found.late_rows += count
            found.late_by_landing_day[day.isoformat()] = count
            earliest = pc.min(pc.filter(event_day, late)).as_py()
            found.earliest_late_event = min(filter(None, [found.earliest_late_event, earliest]))
    return found
