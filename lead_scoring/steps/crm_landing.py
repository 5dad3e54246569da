"""Land a mapped CRM source: its new deliveries, conformed to the raw contract, as the home's landing days.

From the landing folder on, a mapped source is the simulated CRM's equal: the
ingestion assets load each landing day, the checks, quarantine, dbt features,
training, promotion, daily scoring, monitoring and the report run unchanged.

All or nothing: every new delivery of every table is read and conformed before
the first file is written; a delivery that cannot be read, or whose mapped
columns are missing, stops the landing with an error naming it, and the
landing folder stays as it was. Each landed day's content digest is kept in the
folder's manifest: a delivery changed after it landed is refused (a correction
is a new day's delivery), and a delivery dated before the last landed day is
refused too (landing days only move forward).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lead_scoring.crm.conform import Findings, conform_delivery, conversions_on_leads
from lead_scoring.crm.deliveries import Delivery, DeliveryError, delivered_days
from lead_scoring.crm.mapping import SourceMapping, load_source_mapping
from lead_scoring.settings import Settings
from lead_scoring.simulator import landing
from lead_scoring.simulator.schema import RAW_TABLES

SOURCE_PREFIX = "crm:"


@dataclass
class LandingReport:
    source: str
    landed_days: list[date]  # days on which any table landed
    rows: dict[str, int]  # product table -> rows landed
    findings: dict[str, Findings] = field(default_factory=dict)  # product table -> what could not be taken as delivered, all days
    unparsed: dict[str, int] = field(default_factory=dict)  # delivery -> lines that did not parse (not landed)
    notes: list[str] = field(default_factory=list)
    complete_days: list[date] = field(default_factory=list)  # days every table has now landed, and had not before

    def render(self) -> str:
        if not self.landed_days:
            return f"{self.source}: no new delivery to land"
        waiting = sorted(set(self.landed_days) - set(self.complete_days))
        lines = [f"landed {len(self.landed_days)} days of {self.source}: {self.landed_days[0]} .. {self.landed_days[-1]}",
                 "  rows        " + ", ".join(f"{table} {n}" for table, n in self.rows.items())]
        lines += [f"  waiting     {', '.join(map(str, waiting))}: not every table has delivered yet"] if waiting else []
        lines += [f"  note        {note}" for note in self.notes]
        lines += [f"  unparsed    {where}: {n} lines with the wrong number of fields, not landed" for where, n in self.unparsed.items()]
        lines += [f"  {table:<11} {line}" for table, found in self.findings.items() for line in found.lines()]
        return "\n".join(lines)


def _refuse_other_source(settings: Settings, mapping: SourceMapping, manifest: dict) -> None:
    if settings.flat_source_file.exists():
        raise DeliveryError(f"{settings.home} holds a flat export ({settings.flat_source_file}): land a CRM source into its own home")
    source = manifest.get("source")
    if manifest and source != SOURCE_PREFIX + mapping.name:
        held = source or f"a simulated CRM (seed {manifest.get('seed')})"
        raise DeliveryError(f"{settings.landing_dir} holds {held}, not {SOURCE_PREFIX}{mapping.name}: one home holds one source")


def _check_landed(delivery: Delivery, landed: dict[str, str], last: date | None) -> bool:
    """True when the delivery is new; refuses a landed delivery that changed, or a new one dated before its table's last."""
    known = landed.get(delivery.day.isoformat())
    if known is not None:
        if known != delivery.digest:
            raise DeliveryError(f"{delivery.where}: changed since it landed on {delivery.day} (digest {known} then, "
                                f"{delivery.digest} now); deliver a correction as a new day's delivery")
        return False
    if last is not None and delivery.day <= last:
        raise DeliveryError(f"{delivery.where}: landing day {delivery.day} is not after the last landed day {last} of "
                            f"{delivery.table}; deliveries land once, in day order")
    return True


def complete_days(landing_dir) -> set[date]:
    """Days on which every table has landed: the days ingestion and scoring can run."""
    per_table = [set(landing.landed_days(landing_dir, table)) for table in RAW_TABLES]
    return set.intersection(*per_table)


def _landed_conversions(settings: Settings) -> set[str]:
    folder = settings.landing_dir / "conversions"
    return {lead for path in sorted(folder.glob("*.parquet")) for lead in pq.read_table(path, columns=["lead_id"]).column(0).to_pylist()}


def _new_conversions(table: pa.Table, seen: set[str]) -> pa.Table:
    """A status on the leads table repeats in every later delivery: the conversion lands once, the first day it shows."""
    fresh = pc.invert(pc.is_in(table.column("lead_id"), value_set=pa.array(sorted(seen), pa.string())))
    table = table.filter(fresh)
    seen.update(table.column("lead_id").to_pylist())
    return table


def land_source(settings: Settings, mapping_file, today: date | None = None, root=None) -> LandingReport:
    """Conform every new delivery of the mapped source, then write them as landing days (nothing written on a failure).

    ``root``: the folder the mapping's relative paths start from (default: the mapping file's folder)."""
    mapping = load_source_mapping(mapping_file, root)
    manifest = landing.read_manifest(settings.landing_dir)
    _refuse_other_source(settings, mapping, manifest)
    landed: dict[str, dict[str, str]] = manifest.get("deliveries", {})
    last_of = {table: max(map(date.fromisoformat, days)) for table, days in landed.items() if days}
    today = today or datetime.now(timezone.utc).date()
    warehouse = settings.landing_warehouse()  # a synced CRM table holds personal data
    report = LandingReport(SOURCE_PREFIX + mapping.name, [], {table: 0 for table in RAW_TABLES})
    conformed: dict[tuple[str, date], list[pa.Table]] = {}
    digests: dict[str, dict[str, str]] = {}
    leads = mapping.tables["leads"]
    seen_conversions = _landed_conversions(settings) if leads.conversion else set()

    def keep(table: str, day: date, rows: pa.Table, findings: Findings) -> None:
        conformed.setdefault((table, day), []).append(rows)
        report.findings.setdefault(table, Findings()).merge(findings)

    synced_through: dict[str, date] = {}
    for name, table in mapping.tables.items():
        after = last_of.get(name) if table.origin.table else None  # a warehouse table is read from the day after its last on
        if table.origin.table:
            synced_through[name] = after or date.min
        for delivery in delivered_days(table, warehouse, today, after):
            if table.origin.table:
                synced_through[name] = delivery.day
            if not _check_landed(delivery, landed.get(name, {}), last_of.get(name)):
                continue
            digests.setdefault(name, {})[delivery.day.isoformat()] = delivery.digest
            if delivery.unparsed:
                report.unparsed[delivery.where] = len(delivery.unparsed)
            report.notes += delivery.notes
            rows, findings = conform_delivery(delivery, table)
            keep(name, delivery.day, rows, findings)
            if name == "leads" and leads.conversion:
                converted, found = conversions_on_leads(delivery, leads)
                keep("conversions", delivery.day, converted, found)
    days = sorted({day for _, day in conformed})
    # A table the mapping leaves out (no consents, no campaigns) has nothing to wait for: it lands empty each day.
    # A mapped table lands only the days it delivered: a day it missed is the freshness check's to report.
    unmapped = [t for t in RAW_TABLES if t not in mapping.tables and not (t == "conversions" and leads.conversion)]
    # One sync tool syncs the source's tables together: up to the newest stamp of any of them, a synced table without
    # rows on a day had nothing changed, and lands empty. (A sync that stops for one table alone shows in the row-count
    # band of the ingestion checks, not in freshness.)
    through = max(synced_through.values(), default=None)
    for day in days:
        quiet = [t for t in synced_through if day <= through and day.isoformat() not in landed.get(t, {})]
        for table in unmapped + quiet:
            conformed.setdefault((table, day), [])
    if leads.conversion:
        for day in days:  # in day order, so that each lead's conversion lands the first day it shows
            if ("conversions", day) in conformed:
                conformed[("conversions", day)] = [_new_conversions(pa.concat_tables(conformed[("conversions", day)]), seen_conversions)]
    complete_before = complete_days(settings.landing_dir)
    for (table, day), parts in sorted(conformed.items(), key=lambda item: (item[0][1], item[0][0])):
        rows = pa.concat_tables(parts) if parts else RAW_TABLES[table].empty_table()
        landing.write_table(settings.landing_dir, table, day, rows)
        report.rows[table] += rows.num_rows
    if days:
        for table, by_day in digests.items():
            landed.setdefault(table, {}).update(by_day)
        landing.write_manifest(settings.landing_dir, {
            "source": report.source, "mapping_file": str(mapping.source_file.resolve()), "mapping_digest": mapping.digest,
            "start_date": manifest.get("start_date", days[0].isoformat()),
            "last_day": max(days[-1].isoformat(), manifest.get("last_day", "")), "deliveries": landed,
        })
    report.landed_days = days
    report.complete_days = sorted(complete_days(settings.landing_dir) - complete_before)
    return report
