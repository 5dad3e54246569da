"""Load landed Parquet files into the warehouse, one landing day at a time.

For each day and table: the file must read (else an error naming the file), it
must meet the source contract (else an error naming the table and column), and
its rows are split into valid rows (``raw.<table>``) and quarantined rows
(``quarantine.<table>``, with the reason). Per-day counts go to
``quarantine.load_stats``. Re-loading a day replaces that day's rows in all
three, in one transaction, so a re-run never duplicates and a failure midway
leaves the previous load in place. Each file is read and split once
(``prepared_load``): the quality suites and the load see the same rows, and
every check judges the prepared rows, so a day that fails one writes nothing.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa

from lead_scoring.errors import LeadScoringError
from lead_scoring.quality import contracts, quarantine
from lead_scoring.simulator import landing
from lead_scoring.simulator.schema import GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TABLE, RAW_TABLES
from lead_scoring.tables import LOAD_STATS
from lead_scoring.warehouse import Replacement, Warehouse

RAW_SCHEMA = "raw"
GROUND_TRUTH = "ground_truth"


class MissingLandingDay(LeadScoringError):
    pass


@dataclass
class LoadReport:
    landed: int = 0
    loaded: int = 0
    quarantined: int = 0
    reasons: dict[str, int] | None = None


def require_landed(folder: Path, table: str, day: date) -> Path:
    path = landing.day_file(folder, table, day)
    if not path.exists():
        raise MissingLandingDay(f"landing day {day.isoformat()} is missing for table {table!r}: expected {path}")
    return path


def with_load_columns(data: pa.Table, day: date) -> pa.Table:
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    data = data.append_column("_landed_date", pa.array([day] * data.num_rows, pa.date32()))
    return data.append_column("_loaded_at", pa.array([loaded_at] * data.num_rows, pa.timestamp("us")))


def known_leads(warehouse: Warehouse) -> pa.Array:
    """Every lead id already in ``raw.leads``: other tables' rows must point at one of them."""
    if not warehouse.table_exists(f"{RAW_SCHEMA}.leads"):
        return pa.array([], pa.string())
    return warehouse.query_arrow(f"select distinct lead_id from {RAW_SCHEMA}.leads").column(0).combine_chunks()


def prepared_days(folder: Path, table: str, days: list[date], known: pa.Array | None) -> Iterator[tuple[date, quarantine.RowSplit]]:
    """Each landing day of ``table``, read, held to its contract and split into valid and quarantined rows."""
    contract = RAW_TABLES[table]
    for day in days:
        path = require_landed(folder, table, day)
        original = contracts.read_landed_file(path, table)
        contracts.check_contract(original, contract, table, path)
        conformed, unparseable = contracts.conform(original, contract, table, path)
        yield day, quarantine.split_rows(table, original.select(contract.names), conformed, unparseable, known)


class PreparedLoad:
    """Landing days read, conformed and split once, kept as Arrow files for the suites and then the load.

    Reading and splitting a day costs as much as validating it; preparing once
    means the rows the suites pass are the rows loaded. Tables are prepared in
    contract order, leads first, so this load's new leads count as known when
    the other tables are split.
    """

    def __init__(self, workdir: Path, tables: list[str], days: list[date]):
        self.workdir, self.tables, self.days = workdir, tables, days

    def _file(self, table: str, day: date, part: str) -> Path:
        return self.workdir / f"{table}.{day.isoformat()}.{part}.arrow"

    def keep(self, table: str, day: date, rows: quarantine.RowSplit) -> None:
        for part, data in (("valid", rows.valid), ("quarantined", rows.quarantined)):
            with pa.OSFile(str(self._file(table, day, part)), "wb") as sink, pa.ipc.new_file(sink, data.schema) as writer:
                writer.write_table(data)

    def valid(self, table: str, day: date) -> pa.Table:
        return self._read(table, day, "valid")

    def split(self, table: str, day: date) -> quarantine.RowSplit:
        return quarantine.RowSplit(self._read(table, day, "valid"), self._read(table, day, "quarantined"))

    def _read(self, table: str, day: date, part: str) -> pa.Table:
        return pa.ipc.open_file(pa.memory_map(str(self._file(table, day, part)))).read_all()

    def valid_chunks(self, table: str, chunk_rows: int = 2_000_000) -> Iterator[pa.Table]:
        """The rows that would be loaded, with their landing day, a few days at a time (about ``chunk_rows`` rows each)."""
        pending: list[pa.Table] = []
        for day in self.days:
            valid = self._read(table, day, "valid")
            pending.append(valid.append_column("_landed_date", pa.array([day] * valid.num_rows, pa.date32())))
            if sum(t.num_rows for t in pending) >= chunk_rows:
                yield pa.concat_tables(pending)
                pending = []
        if pending:
            yield pa.concat_tables(pending)


@contextmanager
def prepared_load(warehouse: Warehouse, landing_dir: Path, tables: list[str], days: list[date]) -> Iterator[PreparedLoad]:
    """Prepare the landing days of ``tables`` in a scratch folder that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="lead_scoring_load_") as workdir:
        prepared = PreparedLoad(Path(workdir), [t for t in RAW_TABLES if t in tables], days)
        known = known_leads(warehouse)
        for table in prepared.tables:
            for day, rows in prepared_days(Path(landing_dir), table, days, known if table in quarantine.REFERENCES_LEAD else None):
                prepared.keep(table, day, rows)
                if table == "leads":
                    known = pa.concat_arrays([known, rows.valid.column("lead_id").combine_chunks()])
        yield prepared


def load_report(prepared: PreparedLoad, table: str) -> LoadReport:
    """What loading ``table`` would write, counted on the prepared rows: the checks judge a day before it is written."""
    report = LoadReport(reasons={})
    for day in prepared.days:
        rows = prepared.split(table, day)
        report.landed += rows.landed
        report.loaded += rows.valid.num_rows
        report.quarantined += rows.quarantined.num_rows
        for reason in rows.quarantined.column("_reason").to_pylist():
            report.reasons[reason] = report.reasons.get(reason, 0) + 1
    return report


def _replacements(prepared: PreparedLoad, table: str) -> Iterator[Replacement]:
    for day in prepared.days:
        rows = prepared.split(table, day)
        stats = pa.table(
            {
                "load_key": [f"{table}/{day.isoformat()}"],
                "source": [table],
                "landed": [rows.landed],
                "loaded": [rows.valid.num_rows],
                "quarantined": [rows.quarantined.num_rows],
            }
        )
        yield Replacement(f"{RAW_SCHEMA}.{table}", "_landed_date", [day], with_load_columns(rows.valid, day))
        yield Replacement(f"quarantine.{table}", "_landed_date", [day], with_load_columns(rows.quarantined, day))
        yield Replacement(LOAD_STATS, "load_key", stats["load_key"].to_pylist(), with_load_columns(stats, day))


def load_tables(warehouse: Warehouse, prepared: PreparedLoad, tables: list[str] | None = None) -> dict[str, LoadReport]:
    """Load the prepared days of ``tables`` (default: all prepared) in one transaction.

    One commit for every table: a landing day becomes current as a whole or not
    at all, never its leads without its activities.
    """
    tables = [t for t in prepared.tables if tables is None or t in tables]
    reports = {table: load_report(prepared, table) for table in tables}
    warehouse.replace(replacement for table in tables for replacement in _replacements(prepared, table))
    return reports


def preflight(landing_dir: Path, tables: list[str], days: list[date]) -> dict[str, list[str]]:
    """Per table, what is wrong with its landed files (missing day: raises; unreadable or off-contract: listed)."""
    problems: dict[str, list[str]] = {table: [] for table in tables}
    for table in tables:
        for day in days:
            problem = contracts.file_problem(require_landed(landing_dir, table, day), table, RAW_TABLES[table])
            if problem:
                problems[table].append(problem)
    return problems


def load_days(warehouse: Warehouse, landing_dir: Path, days: list[date], tables: list[str] | None = None) -> dict[str, LoadReport]:
    """Load each table for each day (leads first: other tables are checked against them).

    Every file must exist, read and meet its contract before anything is written.
    """
    tables = [t for t in RAW_TABLES if tables is None or t in tables]
    problems = [p for found in preflight(landing_dir, tables, days).values() for p in found]
    if problems:
        raise contracts.ContractViolation("; ".join(problems))
    with prepared_load(warehouse, landing_dir, tables, days) as prepared:
        return load_tables(warehouse, prepared)


def mapped_source(landing_dir: Path | str) -> str | None:
    """The mapped CRM source the landing folder holds (``crm:<name>``), or None for the simulator's."""
    return landing.read_manifest(Path(landing_dir)).get("source")


def load_ground_truth(warehouse: Warehouse, ground_truth_dir: Path, days: list[date]) -> int:
    """The simulator's truth: no contract or quarantine, it is written by our own code."""

    def batches() -> Iterator[Replacement]:
        for day in days:
            data = contracts.read_landed_file(require_landed(ground_truth_dir, GROUND_TRUTH_TABLE, day), GROUND_TRUTH_TABLE)
            yield Replacement(f"{GROUND_TRUTH}.{GROUND_TRUTH_TABLE}", "_landed_date", [day], with_load_columns(data.cast(GROUND_TRUTH_SCHEMA), day))

    return warehouse.replace(batches())
