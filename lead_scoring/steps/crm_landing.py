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
    landed_days: list[date]
    rows: dict[str, int]  # product table -> rows landed
    findings: dict[str, Findings] = field(default_factory=dict)  # product table -> what could not be taken as delivered, all days
    unparsed: dict[str, int] = field(default_factory=dict)  # delivery -> lines that did not parse (not landed)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        if not self.landed_days:
            return f"{self.source}: no new delivery to land"
        lines = [f"landed {len(self.landed_days)} days of {self.source}: {self.landed_days[0]} .. {self.landed_days[-1]}",
                 "  rows        " + ", ".join(f"{table} {n}" for table, n in self.rows.items())]
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


def _check_landed(delivery: Delivery, manifest: dict, last: date | None) -> bool:
    """True when the delivery is new; refuses a landed delivery that changed, or a new one dated in the past."""
    known = manifest.get("deliveries", {}).get(delivery.table, {}).get(delivery.day.isoformat())
    if known is not None:
        if known != delivery.digest:
            raise DeliveryError(f"{delivery.where}: changed since it landed on {delivery.day} (digest {known} then, "
                                f"{delivery.digest} now); deliver a correction as a new day's delivery")
        return False
    if last is not None and delivery.day <= last:
        raise DeliveryError(f"{delivery.where}: landing day {delivery.day} is not after the last landed day {last}; "
                            "deliveries land once, in day order")
    return True


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
    last = date.fromisoformat(manifest["last_day"]) if manifest.get("last_day") else None
    today = today or datetime.now(timezone.utc).date()
    warehouse = settings.warehouse()
    report = LandingReport(SOURCE_PREFIX + mapping.name, [], {table: 0 for table in RAW_TABLES})
    conformed: dict[tuple[str, date], list[pa.Table]] = {}
    digests: dict[str, dict[str, str]] = {}
    seen_conversions = _landed_conversions(settings) if mapping.tables["leads"].conversion else set()

    def keep(table: str, day: date, rows: pa.Table, findings: Findings) -> None:
        conformed.setdefault((table, day), []).append(rows)
        report.findings.setdefault(table, Findings()).merge(findings)

    for name, table in mapping.tables.items():
        after = last if table.origin.table else None  # a warehouse table is read from the day after the last landing on
        for delivery in delivered_days(table, warehouse, today, after):
            if not _check_landed(delivery, manifest, last):
                continue
            digests.setdefault(name, {})[delivery.day.isoformat()] = delivery.digest
            if delivery.unparsed:
                report.unparsed[delivery.where] = len(delivery.unparsed)
            report.notes += delivery.notes
            rows, findings = conform_delivery(delivery, table)
            keep(name, delivery.day, rows, findings)
            if name == "leads" and table.conversion:
                converted, found = conversions_on_leads(delivery, table)
                keep("conversions", delivery.day, converted, found)
    days = sorted({day for _, day in conformed})
    if mapping.tables["leads"].conversion:
        for day in days:  # in day order, so that each lead's conversion lands the first day it shows
            parts = conformed.get(("conversions", day), [])
            rows = pa.concat_tables(parts) if parts else RAW_TABLES["conversions"].empty_table()
            conformed[("conversions", day)] = [_new_conversions(rows, seen_conversions)]
    for day in days:
        for table, schema in RAW_TABLES.items():
            parts = conformed.get((table, day), [])
            rows = pa.concat_tables(parts) if parts else schema.empty_table()
            landing.write_table(settings.landing_dir, table, day, rows)
            report.rows[table] += rows.num_rows
    if days:
        deliveries = manifest.get("deliveries", {})
        for table, by_day in digests.items():
            deliveries.setdefault(table, {}).update(by_day)
        landing.write_manifest(settings.landing_dir, {
            "source": report.source, "mapping_file": str(mapping.source_file.resolve()), "mapping_digest": mapping.digest,
            "start_date": manifest.get("start_date", days[0].isoformat()), "last_day": days[-1].isoformat(), "deliveries": deliveries,
        })
    report.landed_days = days
    return report
