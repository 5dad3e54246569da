"""Scenarios change the simulated world from a given day on.

A scenario is named on the command line as ``NAME@DAY`` (DAY counts from 0,
the first simulated day). Each scenario receives a day's generated tables and
returns them changed; the generator applies every scenario whose start day has
come. ``clean`` changes nothing: it is the world as documented in ``world.py``.

The fault scenarios each break one thing a real CRM sync breaks, and each has
a guard that must catch it (see ``PITFALLS.md`` and ``tests/integration/test_fault_injection.py``).
A table replaced by ``bytes`` is landed as that content: a corrupt file; a
table left out of the day's tables does not land at all (a stopped source).

The world scenarios change the world itself (``world.World``) and are what the
monitoring must notice (see ``lead_scoring/monitoring/`` and the replay):

* ``concept_drift``: engagement keeps its distribution but loses most of its
  link to conversion (bots and auto-opens) - visible only in matured labels;
* ``new_channel``: a new lead source, ``marketplace``, brings 30% of new leads
  and converts better. The channel is declared in the source contract
  (``schema.LEAD_SOURCES``: a reviewed change, synced to the Great Expectations
  suites and dbt tests), so its leads are admitted; any undeclared value still
  fails the ``raw_leads`` suite. Its arrival is flagged by feature drift;
* ``tracking_outage``: the e-mail tracking breaks: e-mail opens and clicks (a
  third of all activities) stop arriving for every lead - systematic
  missingness. (An outage for a segment of *leads* large enough to matter, say
  the 70% from campaign channels, drops the day's activities below half the
  trailing volume: the raw row-count band stops that at ingestion, before any
  drift could be measured.)
* ``seasonality``: fewer leads at weekends and a slow 8-week cycle in propensity;
* ``stale_source``: the activities sync stops: no activities file lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from lead_scoring.simulator import world
    from lead_scoring.simulator.generator import CrmSimulator

DayTables = dict[str, "pa.Table | bytes"]
Transform = Callable[[int, DayTables, np.random.Generator, "CrmSimulator"], DayTables]
Shift = Callable[[int, "world.World"], "world.World"]
CORRUPT_BYTES = b"PAR1 this landing file was truncated by the sync tool"


def _unchanged(day_index, tables, rng, simulator):
    return tables


def _replace_column(table: pa.Table, name: str, values) -> pa.Table:
    index = table.column_names.index(name)
    return table.set_column(index, table.schema.field(index), pa.array(values, table.schema.field(index).type))


def _null_burst(day_index, tables, rng, simulator):
    """The CRM stops filling industry and company size for 90% of new leads."""
    leads = tables["leads"]
    hit = rng.random(leads.num_rows) < 0.9
    for name in ("industry", "company_size"):
        leads = _replace_column(leads, name, [None if h else v for h, v in zip(hit, leads[name].to_pylist())])
    return {**tables, "leads": leads}


def _schema_change(day_index, tables, rng, simulator):
    """Upstream renames lead_source to source_channel."""
    leads = tables["leads"]
    return {**tables, "leads": leads.rename_columns(["source_channel" if c == "lead_source" else c for c in leads.column_names])}


def _duplicate_leads(day_index, tables, rng, simulator):
    """The sync delivers 10% of the day's leads twice."""
    leads = tables["leads"]
    again = leads.take(np.flatnonzero(rng.random(leads.num_rows) < 0.1))
    return {**tables, "leads": pa.concat_tables([leads, again])}


def _future_events(day_index, tables, rng, simulator):
    """A tracking bug stamps 5% of activities 400 days in the future."""
    acts = tables["activities"]
    shift = np.where(rng.random(acts.num_rows) < 0.05, 400, 0).astype("timedelta64[D]").astype("timedelta64[us]")
    moved = acts["occurred_at"].to_numpy(zero_copy_only=False) + shift
    return {**tables, "activities": _replace_column(acts, "occurred_at", moved)}


def _consent_revoked(day_index, tables, rng, simulator):
    """A fifth of the leads active today withdraw consent to processing."""
    active = np.unique(tables["activities"]["lead_id"].to_numpy(zero_copy_only=False))
    leaving = active[rng.random(len(active)) < 0.2]
    at = np.datetime64(simulator.day_date(day_index), "us") + (rng.random(len(leaving)) * 86_400e6).astype("timedelta64[us]")
    revoked = pa.table(
        {"lead_id": leaving, "ml_processing_allowed": np.zeros(len(leaving), bool), "changed_at": at},
        schema=tables["consents"].schema,
    )
    return {**tables, "consents": pa.concat_tables([tables["consents"], revoked])}


def _orphan_activities(day_index, tables, rng, simulator):
    """10% of activities point at leads the CRM never sent."""
    acts = tables["activities"]
    ids = acts["lead_id"].to_numpy(zero_copy_only=False).copy()
    hit = rng.random(len(ids)) < 0.1
    ids[hit] = [f"LX{n:08d}" for n in rng.integers(0, 10**8, int(hit.sum()))]
    return {**tables, "activities": _replace_column(acts, "lead_id", ids)}


def _corrupt_file(day_index, tables, rng, simulator):
    """The day's activities file is truncated garbage."""
    return {**tables, "activities": CORRUPT_BYTES}


def _leaky_feature(day_index, tables, rng, simulator):
    """Every lead that will convert lands with lead_source 'referral', from its creation day on.

    Sales re-enter converted leads with that source, and the CRM's export is
    taken from its current state: the value written after the outcome arrives
    in the lead's first row, as if known at creation. Landing time cannot tell
    (a re-entry landed on the day it was made is a correction and reaches only
    later snapshots, which a converted lead does not have); the leakage scan
    must catch it.
    """
    leads = tables["leads"]
    converting = simulator.converting(leads["lead_id"].combine_chunks())
    if not converting.any():
        return tables
    sources = np.where(converting, "referral", leads["lead_source"].to_numpy(zero_copy_only=False))
    return {**tables, "leads": _replace_column(leads, "lead_source", sources)}


LATE_ACTIVITIES = 200
LATE_BY_DAYS = 21


def _late_activities(day_index, tables, rng, simulator):
    """The tracking sync sends a backlog: 200 activities of open leads from three weeks ago land today.

    True rows, landed late: the features count them from today on, and the
    late-arrivals check warns about the volume.
    """
    lead_id, created_at = simulator.open_leads()
    day_start = np.datetime64(simulator.day_date(day_index - LATE_BY_DAYS), "us")
    occurred_at = day_start + (rng.random(LATE_ACTIVITIES) * 86_400e6).astype("timedelta64[us]")
    existed = np.flatnonzero(created_at < day_start)
    if not len(existed):
        return tables
    who = rng.choice(existed, LATE_ACTIVITIES)
    late = pa.table(
        {
            "activity_id": [f"AL{day_index:05d}{i:05d}" for i in range(LATE_ACTIVITIES)],
            "lead_id": lead_id[who],
            "occurred_at": occurred_at,
            "activity_type": rng.choice(["page_view", "email_open", "pricing_page_view"], LATE_ACTIVITIES),
        },
        schema=tables["activities"].schema,
    )
    return {**tables, "activities": pa.concat_tables([tables["activities"], late])}


OUTAGE_TYPES = ("email_open", "email_click")


def _tracking_outage(day_index, tables, rng, simulator):
    """The e-mail tracking pixel breaks: opens and clicks of every lead stop arriving."""
    acts = tables["activities"]
    return {**tables, "activities": acts.filter(pc.invert(pc.is_in(acts["activity_type"], value_set=pa.array(OUTAGE_TYPES))))}


def _stale_source(day_index, tables, rng, simulator):
    """The activities sync stops: no file lands from this day on."""
    return {name: data for name, data in tables.items() if name != "activities"}


NEW_CHANNEL = "marketplace"
NEW_CHANNEL_SHARE = 0.30
NEW_CHANNEL_EFFECT = 0.9  # log-odds: converts clearly better than the average channel
CONCEPT_DRIFT_SIGNAL = 0.15  # engagement keeps 15% of its correlation with propensity
SEASON_DAYS = 56
SEASON_LOGIT = 0.3
WEEKEND_VOLUME = 0.6


def _concept_shift(day_index, shape):
    return shape.changed(engagement_signal=CONCEPT_DRIFT_SIGNAL)


def _new_channel_shift(day_index, shape):
    return shape.with_source(NEW_CHANNEL, NEW_CHANNEL_SHARE, NEW_CHANNEL_EFFECT)


def _season_shift(day_index, shape):
    # Day 0 is taken as a Monday-like day: days 5 and 6 of each week are the weekend.
    weekend = day_index % 7 in (5, 6)
    return shape.changed(
        volume=shape.volume * (WEEKEND_VOLUME if weekend else 1.0),
        base_logit_shift=shape.base_logit_shift + SEASON_LOGIT * float(np.sin(2 * np.pi * day_index / SEASON_DAYS)),
    )


WORLD_SHIFTS: dict[str, Shift] = {
    "concept_drift": _concept_shift,
    "new_channel": _new_channel_shift,
    "seasonality": _season_shift,
}

SCENARIOS: dict[str, Transform] = {
    "clean": _unchanged,
    "null_burst": _null_burst,
    "schema_change": _schema_change,
    "duplicate_leads": _duplicate_leads,
    "future_events": _future_events,
    "consent_revoked": _consent_revoked,
    "orphan_activities": _orphan_activities,
    "corrupt_file": _corrupt_file,
    "leaky_feature": _leaky_feature,
    "late_activities": _late_activities,
    "tracking_outage": _tracking_outage,
    "stale_source": _stale_source,
    **{name: _unchanged for name in WORLD_SHIFTS},
}


@dataclass(frozen=True)
class Scenario:
    name: str
    start_day: int = 0

    @classmethod
    def parse(cls, text: str) -> "Scenario":
        """Parse ``NAME`` or ``NAME@DAY``; the error lists the known names."""
        name, _, day = text.partition("@")
        if name not in SCENARIOS:
            known = ", ".join(sorted(SCENARIOS))
            raise ValueError(f"unknown scenario {name!r} (known: {known})")
        if day and not day.isdigit():
            raise ValueError(f"scenario {text!r}: the day after '@' must be a whole number, e.g. {name}@30")
        return cls(name, int(day or 0))

    def __str__(self) -> str:
        return f"{self.name}@{self.start_day}"

    def apply(self, day_index: int, tables: DayTables, rng: np.random.Generator, simulator: "CrmSimulator") -> DayTables:
        if day_index < self.start_day:
            return tables
        return SCENARIOS[self.name](day_index, tables, rng, simulator)

    def shift(self, day_index: int, shape: "world.World") -> "world.World":
        """The world of ``day_index`` under this scenario (unchanged before its start day)."""
        if day_index < self.start_day or self.name not in WORLD_SHIFTS:
            return shape
        return WORLD_SHIFTS[self.name](day_index, shape)
