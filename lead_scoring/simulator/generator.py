"""Day-by-day, vectorised generation of the simulated CRM.

The simulator keeps in memory only the leads still inside their open life
(``world.LEAD_OPEN_DAYS``), so memory stays bounded however many days are
generated. Each day draws from its own random stream, seeded by
``(seed, day_index)``: the same seed gives the same data, day for day.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lead_scoring.simulator import landing, world
from lead_scoring.simulator.scenarios import DayTables, Scenario
from lead_scoring.simulator.schema import (
    ACTIVITY_TYPES,
    GROUND_TRUTH_SCHEMA,
    GROUND_TRUTH_TABLE,
    RAW_TABLES,
)

DAY = np.timedelta64(86_400_000_000, "us")
FIRST_NAMES = np.array("Ada Ben Chloe Dan Eva Finn Gia Hugo Iris Jon Kim Leo Mia Noah Olga Paul Rosa Sam Tara Umar Vera Will Yara Zoe".split())
LAST_NAMES = np.array("Adams Brown Costa Dubois Evans Fischer Garcia Haas Ito Jensen Khan Lopez Moreau Novak Olsen Patel Rossi Silva Tanaka Weber".split())
COMPANY_STEMS = np.array("Acme Blue Cedar Delta Echo Fjord Granite Helix Iona Juniper Kestrel Lumen Maple Nimbus Orion Pine Quartz Raven Sage Tundra".split())
COMPANY_SUFFIXES = np.array("Labs Systems Group Analytics Works Partners Health Capital Logistics Media".split())
FUNCTIONS = np.array(["Marketing", "Sales", "Engineering", "Operations", "Finance"])
TITLE_PREFIX = {
    "junior": "Associate",
    "mid": "Specialist",
    "senior": "Senior Manager",
    "director": "Director",
    "vp": "VP",
    "c_level": "Chief",
}


def _ids(prefix: str, start: int, n: int) -> pd.Series:
    return prefix + pd.Series(np.arange(start, start + n)).astype(str).str.zfill(9)


def _choice(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    values = np.array(list(table))
    shares = np.array([share for share, _ in table.values()])
    return values[rng.choice(len(values), size=n, p=shares / shares.sum())]


@dataclass
class _OpenLeads:
    """Leads created on one day, kept while they can still act."""

    day_index: int
    lead_id: np.ndarray
    created_at: np.ndarray
    engagement_z: np.ndarray  # the latent behind the lead's engagement (its z in the documented world)
    converted_at: np.ndarray  # NaT where the lead never converts
    opted_out: np.ndarray
    rows: pa.Table  # the leads rows as landed on their creation day


@dataclass
class CrmSimulator:
    start_date: date
    leads_per_day: int = 250
    seed: int = 7
    scenarios: tuple[Scenario, ...] = ()
    _open: deque = field(default_factory=deque, init=False)
    _next_lead: int = field(default=0, init=False)
    _next_activity: int = field(default=0, init=False)
    _next_day: int = field(default=0, init=False)

    def day_date(self, day_index: int) -> date:
        return self.start_date + timedelta(days=day_index)

    def next_day(self) -> tuple[date, DayTables, pa.Table]:
        """Generate the next day: (its date, raw tables, ground-truth table)."""
        day_index = self._next_day
        self._next_day += 1
        rng = np.random.default_rng([self.seed, day_index])
        day_start = np.datetime64(self.day_date(day_index), "us")

        shape = world.World()
        for scenario in self.scenarios:
            shape = scenario.shift(day_index, shape)
        new, leads, truth = self._new_leads(rng, day_index, day_start, shape)
        self._open.append(new)
        while self._open and self._open[0].day_index <= day_index - world.LEAD_OPEN_DAYS:
            self._open.popleft()
        tables: DayTables = {
            "leads": leads,
            "activities": self._activities(rng, day_start),
            "conversions": self._conversions(rng, day_start),
            "consents": self._consents(rng, day_start, new),
            "campaigns": self._campaigns(day_index, day_start),
        }
        for scenario in self.scenarios:
            tables = scenario.apply(day_index, tables, rng, self)
        return self.day_date(day_index), tables, truth

    def open_leads(self) -> tuple[np.ndarray, np.ndarray]:
        """The ids and creation times of the leads still open, e.g. for a scenario that adds their activities."""
        lead_id, created_at, _, _, _ = self._open_arrays()
        return lead_id, created_at

    def converting(self, lead_ids: pa.Array) -> np.ndarray:
        """Which of the open ``lead_ids`` convert some day: what the CRM knows only later."""
        lead_id, _, _, converted_at, _ = self._open_arrays()
        converts = pa.array(lead_id[~np.isnat(converted_at)], pa.string())
        return pc.is_in(lead_ids, value_set=converts).to_numpy(zero_copy_only=False)

    def _new_leads(self, rng, day_index, day_start, shape: world.World):
        n = int(rng.poisson(self.leads_per_day * shape.volume))
        attrs = {name: _choice(rng, table, n) for name, table in shape.attributes.items()}
        z = world.attribute_logit(attrs, shape.attributes) + shape.base_logit_shift + rng.normal(0.0, world.HIDDEN_SD, n)
        p_convert = world.sigmoid(z)
        created_at = day_start + (rng.random(n) * 86_400e6).astype("timedelta64[us]")
        delay = (world.sample_delay_days(rng, n) * 86_400e6).astype("timedelta64[us]")
        converted_at = np.where(rng.random(n) < p_convert, created_at + delay, np.datetime64("NaT", "us"))
        lead_id = _ids("L", self._next_lead, n)
        self._next_lead += n

        first, last = rng.choice(FIRST_NAMES, n), rng.choice(LAST_NAMES, n)
        company = pd.Series(rng.choice(COMPANY_STEMS, n)) + " " + rng.choice(COMPANY_SUFFIXES, n)
        domain = company.str.lower().str.replace(" ", "-", regex=False) + ".example"
        email = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower() + "." + lead_id.str[-6:] + "@" + domain
        phone = "+1-555-" + pd.Series(rng.integers(0, 10_000_000, n)).astype(str).str.zfill(7)
        title = pd.Series(attrs["seniority"]).map(TITLE_PREFIX) + " " + rng.choice(FUNCTIONS, n)
        leads = pa.table(
            {
                "lead_id": lead_id,
                "created_at": created_at,
                "email": email,
                "full_name": pd.Series(first) + " " + last,
                "phone": phone,
                "company": company,
                "country": attrs["country"],
                "industry": attrs["industry"],
                "company_size": attrs["company_size"],
                "job_title": title,
                "seniority": attrs["seniority"],
                "lead_source": attrs["lead_source"],
                "campaign_id": self._campaign_for(day_index, attrs["lead_source"]),
            },
            schema=RAW_TABLES["leads"],
        )
        truth = pa.table(
            {"lead_id": lead_id, "created_at": created_at, "p_convert": p_convert},
            schema=GROUND_TRUTH_SCHEMA,
        )
        opted_out = rng.random(n) < world.OPT_OUT_AT_CREATION
        engagement_z = world.engagement_latent(z, shape.engagement_signal, rng)
        return _OpenLeads(day_index, lead_id.to_numpy(), created_at, engagement_z, converted_at, opted_out, leads), leads, truth

    def _campaign_for(self, day_index: int, sources: np.ndarray) -> list:
        """The newest campaign of the lead's channel; none for organic channels."""
        wave = day_index // world.CAMPAIGN_EVERY_DAYS
        return [f"C{channel}-{wave:03d}" if channel in world.CAMPAIGN_CHANNELS else None for channel in sources]

    def _campaigns(self, day_index: int, day_start) -> pa.Table:
        starts_today = day_index % world.CAMPAIGN_EVERY_DAYS == 0
        wave = day_index // world.CAMPAIGN_EVERY_DAYS
        channels = list(world.CAMPAIGN_CHANNELS) if starts_today else []
        budgets = np.random.default_rng([self.seed, day_index, 1]).lognormal(9.5, 0.5, len(channels)).round(2)
        return pa.table(
            {
                "campaign_id": [f"C{c}-{wave:03d}" for c in channels],
                "channel": channels,
                "started_at": [day_start] * len(channels),
                "budget": budgets,
            },
            schema=RAW_TABLES["campaigns"],
        )

    def _open_arrays(self):
        chunks = list(self._open)
        cat = lambda attr: np.concatenate([getattr(c, attr) for c in chunks])  # noqa: E731
        return cat("lead_id"), cat("created_at"), cat("engagement_z"), cat("converted_at"), chunks

    def _activities(self, rng, day_start) -> pa.Table:
        lead_id, created_at, z, _, _ = self._open_arrays()
        day_end = day_start + DAY
        active_from = np.maximum(created_at, day_start)
        age = (day_start - created_at) / DAY
        share_of_day = (day_end - active_from) / DAY
        counts = rng.poisson(world.activity_rate(z, np.maximum(age, 0.0)) * share_of_day)
        who = np.repeat(np.arange(len(lead_id)), counts)
        cumulative = np.cumsum(world.activity_type_probabilities(z[who]), axis=1)
        type_index = (rng.random(len(who))[:, None] > cumulative).sum(axis=1)
        type_index = np.minimum(type_index, len(ACTIVITY_TYPES) - 1)
        offset = rng.random(len(who)) * ((day_end - active_from[who]) / np.timedelta64(1, "us"))
        occurred_at = active_from[who] + offset.astype("timedelta64[us]")
        order = np.lexsort((occurred_at,))
        activity_id = _ids("A", self._next_activity, len(who))
        self._next_activity += len(who)
        return pa.table(
            {
                "activity_id": activity_id,
                "lead_id": lead_id[who][order],
                "occurred_at": occurred_at[order],
                "activity_type": np.array(ACTIVITY_TYPES)[type_index][order],
            },
            schema=RAW_TABLES["activities"],
        )

    def _conversions(self, rng, day_start) -> pa.Table:
        lead_id, _, _, converted_at, _ = self._open_arrays()
        today = (converted_at >= day_start) & (converted_at < day_start + DAY)
        return pa.table(
            {
                "lead_id": lead_id[today],
                "converted_at": converted_at[today],
                "deal_amount": rng.lognormal(8.5, 0.7, int(today.sum())).round(2),
            },
            schema=RAW_TABLES["conversions"],
        )

    def _consents(self, rng, day_start, new: _OpenLeads) -> pa.Table:
        """A row for each new lead's initial choice, and one for each later opt-out."""
        older = [c for c in self._open if c is not new]
        withdrawn_ids, withdrawn_at = [], []
        for chunk in older:
            withdraws = (~chunk.opted_out) & (rng.random(len(chunk.lead_id)) < world.OPT_OUT_PER_DAY)
            chunk.opted_out |= withdraws
            withdrawn_ids.append(chunk.lead_id[withdraws])
            withdrawn_at.append(day_start + (rng.random(int(withdraws.sum())) * 86_400e6).astype("timedelta64[us]"))
        later_ids = np.concatenate(withdrawn_ids) if withdrawn_ids else np.array([], dtype=object)
        later_at = np.concatenate(withdrawn_at) if withdrawn_at else np.array([], dtype="datetime64[us]")
        return pa.table(
            {
                "lead_id": np.concatenate([new.lead_id, later_ids]),
                "ml_processing_allowed": np.concatenate([~new.opted_out, np.zeros(len(later_ids), dtype=bool)]),
                "changed_at": np.concatenate([new.created_at, later_at]),
            },
            schema=RAW_TABLES["consents"],
        )


def land_day(landing_dir: Path, ground_truth_dir: Path, day: date, tables: DayTables, truth: pa.Table) -> dict[str, int]:
    """Write one generated day to the landing folders; returns the rows landed per table."""
    for name, data in tables.items():
        landing.write_table(landing_dir, name, day, data)
    landing.write_table(ground_truth_dir, GROUND_TRUTH_TABLE, day, truth)
    return {name: data.num_rows if isinstance(data, pa.Table) else 0 for name, data in tables.items()}


def simulate(
    landing_dir: Path,
    ground_truth_dir: Path,
    start_date: date,
    days: int,
    leads_per_day: int = 250,
    seed: int = 7,
    scenarios: tuple[Scenario, ...] = (),
    write_from_day: int = 0,
) -> dict[str, int]:
    """Land days ``write_from_day`` .. ``days - 1`` of the history starting at ``start_date``.

    Earlier days are generated (the world has to evolve to reach the later ones)
    but not written, so a history can be extended one day at a time.
    Returns the rows landed per table.
    """
    simulator = CrmSimulator(start_date, leads_per_day, seed, scenarios)
    totals = {name: 0 for name in RAW_TABLES}
    for day_index in range(days):
        day, tables, truth = simulator.next_day()
        if day_index < write_from_day:
            continue
        for name, rows in land_day(landing_dir, ground_truth_dir, day, tables, truth).items():
            totals[name] += rows
    write_manifest(landing_dir, start_date, days, leads_per_day, seed, scenarios)
    return totals


def write_manifest(landing_dir: Path, start_date: date, days: int, leads_per_day: int, seed: int, scenarios: tuple[Scenario, ...]) -> None:
    """What was simulated (the first day sets the first daily partition)."""
    landing.write_manifest(
        landing_dir,
        {
            "start_date": start_date.isoformat(),
            "days": days,
            "leads_per_day": leads_per_day,
            "seed": seed,
            "scenarios": [str(s) for s in scenarios] or ["clean"],
        },
    )
