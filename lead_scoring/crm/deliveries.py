"""The deliveries a mapping points at, each with its landing day.

- a file: one delivery, landing on the mapping's ``landed`` day (default: the day it is landed);
- a folder: one delivery per day, the day read from the file name (``contacts_2026-01-31.csv``,
  ``2026-01-31.parquet``); several files of one day are one delivery, in name order; a new file
  is a new landing day;
- a warehouse table (the team's own sync): its rows grouped by the date of the sync-time column
  (``landed_at``): each date is one landing day, and a day between two syncs without rows lands empty
  (nothing changed); a day after the newest stamp is not synced yet.

Every value of a delimited file is read as text (``flat.reader``: encodings, byte-order
marks, lines wrapped in quotes); Parquet and warehouse columns keep their types.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lead_scoring.crm.mapping import Origin, TableMapping
from lead_scoring.errors import LeadScoringError
from lead_scoring.flat.mapping import CsvSpec
from lead_scoring.flat.reader import read_export
from lead_scoring.warehouse import Warehouse
from lead_scoring.warehouse.names import quote, quote_table

DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
SUFFIX = {"csv": (".csv", ".txt", ".tsv"), "parquet": (".parquet",)}


class DeliveryError(LeadScoringError):
    """A delivery cannot be read, or its landing day cannot be told."""


@dataclass
class Delivery:
    table: str  # the product's table
    day: date  # landing day
    where: str  # what messages name: the files, or the warehouse table and day
    digest: str  # of the delivered content, so that a changed delivery is noticed
    rows: pa.Table
    unparsed: list[dict] = field(default_factory=list)  # lines of a delimited file that did not parse
    notes: list[str] = field(default_factory=list)


def _digest(paths: list[Path]) -> str:
    hashed = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                hashed.update(chunk)
    return hashed.hexdigest()[:16]


def _read_file(path: Path, origin: Origin) -> tuple[pa.Table, list[dict], list[str]]:
    if origin.format == "parquet":
        try:
            return pq.read_table(path), [], []
        except (OSError, pa.ArrowException) as error:
            raise DeliveryError(f"{path} cannot be read as Parquet: {str(error).splitlines()[0]}") from None
    raw = read_export(path, CsvSpec(delimiter=origin.delimiter))
    return raw.table, raw.unparsed, raw.notes


def _day_of(path: Path) -> date:
    found = DAY_IN_NAME.findall(path.name)
    try:
        if len(set(found)) == 1:
            return date.fromisoformat(found[0])
    except ValueError:
        pass
    raise DeliveryError(f"{path}: a delivery's file name must hold its landing day once, as YYYY-MM-DD "
                        f"(e.g. {path.parent.name or 'contacts'}_2026-01-31{path.suffix or '.csv'})")


def _from_files(mapping: TableMapping, day: date, paths: list[Path]) -> Delivery:
    tables, unparsed, notes = [], [], []
    for path in paths:
        table, bad, said = _read_file(path, mapping.origin)
        tables.append(table)
        unparsed += [{**row, "file": str(path)} for row in bad]
        notes += said
    names = tables[0].column_names
    for path, table in zip(paths[1:], tables[1:]):
        if table.column_names != names:
            raise DeliveryError(f"{path}: its columns differ from {paths[0]}'s, delivered the same day")
    rows = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return Delivery(mapping.table, day, ", ".join(map(str, paths)), _digest(paths), rows, unparsed, notes)


def _folder_days(folder: Path, fmt: str) -> dict[date, list[Path]]:
    if not folder.is_dir():
        raise DeliveryError(f"delivery folder {folder} not found" if not folder.exists() else f"{folder} is not a folder")
    days: dict[date, list[Path]] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIX[fmt]):
        days.setdefault(_day_of(path), []).append(path)
    return days


def _warehouse_days(warehouse: Warehouse, mapping: TableMapping, after: date | None) -> Iterator[Delivery]:
    origin = mapping.origin
    if not warehouse.table_exists(origin.table):
        raise DeliveryError(f"warehouse table {origin.table} (tables.{mapping.table}.from.table) not found in {warehouse}")
    if origin.landed_at not in warehouse.columns(origin.table):
        raise DeliveryError(f"warehouse table {origin.table} has no column {origin.landed_at!r} (tables.{mapping.table}.from.landed_at)")
    landed = f"cast({quote(origin.landed_at)} as date)"
    where, params = (f" where {landed} > ?", [after]) if after else ("", [])
    rows = warehouse.query_arrow(f"select *, {landed} as _delivery_day from {quote_table(origin.table)}{where}", params)
    if pc.any(pc.is_null(rows.column("_delivery_day"))).as_py():
        raise DeliveryError(f"warehouse table {origin.table}: {pc.sum(pc.is_null(rows.column('_delivery_day'))).as_py()} rows "
                            f"have no {origin.landed_at!r}: their landing day cannot be told")
    synced = sorted(set(rows.column("_delivery_day").to_pylist()))
    if not synced:
        return
    # The sync tool stamps the rows it changed: a day between two syncs without rows is a day without changes, and
    # lands empty; a day after the newest stamp is not synced yet, and does not land.
    first = after + timedelta(days=1) if after else synced[0]
    for day in (first + timedelta(days=n) for n in range((synced[-1] - first).days + 1)):
        part = rows.filter(pc.equal(rows.column("_delivery_day"), pa.scalar(day, pa.date32()))).drop_columns(["_delivery_day"])
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, part.schema) as stream:
            stream.write_table(part)
        digest = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:16]
        yield Delivery(mapping.table, day, f"warehouse table {origin.table}, rows synced on {day}", digest, part)


def delivered_days(mapping: TableMapping, warehouse: Warehouse, today: date, after: date | None = None) -> Iterator[Delivery]:
    """The table's deliveries, in day order; ``after``: only the days after it (those not landed yet)."""
    origin = mapping.origin
    if origin.table:
        yield from _warehouse_days(warehouse, mapping, after)
        return
    if origin.file:
        if not origin.file.is_file():
            raise DeliveryError(f"delivery file {origin.file} (tables.{mapping.table}.from.file) not found")
        day = origin.landed or today
        if after is None or day > after:
            yield _from_files(mapping, day, [origin.file])
        return
    for day, paths in sorted(_folder_days(origin.folder, origin.format).items()):
        if after is None or day > after:
            yield _from_files(mapping, day, paths)
