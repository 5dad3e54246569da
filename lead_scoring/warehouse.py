"""Warehouse access for everything Python writes or reads (dbt has its own adapter).

One small interface: ``query`` returns a DataFrame, ``replace_rows`` swaps the
rows of one partition (e.g. one landing day, one scoring date) in a single
transaction, so a failure midway leaves the old rows in place and a re-run
never duplicates. Connections are opened per call and closed at once: DuckDB
lets one process write at a time, and dbt runs in another process.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from lead_scoring.errors import LeadScoringError


class WarehouseError(LeadScoringError):
    """A warehouse problem with a message that names the table."""


@dataclass(frozen=True)
class Warehouse:
    path: Path

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not Path(self.path).exists():
            raise WarehouseError(f"warehouse {self.path} does not exist yet: run `lead-scoring demo` first")
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or []).df()

    def table_exists(self, table: str) -> bool:
        schema, name = table.split(".")
        if not Path(self.path).exists():
            return False
        found = self.query(
            "select count(*) as n from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        )
        return bool(found.n.iloc[0])

    def overwrite(self, table: str, data: pa.Table | pd.DataFrame) -> int:
        """Replace the whole table in one transaction (readers see the old or the new rows, never none)."""
        schema, _ = table.split(".")
        arrow = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        with self.connect() as con:
            con.execute(f"create schema if not exists {schema}")
            con.register("incoming", arrow)
            con.execute("begin transaction")
            con.execute(f"create or replace table {table} as select * from incoming")
            con.execute("commit")
            con.unregister("incoming")
        return arrow.num_rows

    def replace_rows(self, table: str, data: pa.Table | pd.DataFrame, key_column: str, key_values: list) -> int:
        """Delete the rows of ``table`` whose ``key_column`` is in ``key_values``, insert ``data``.

        Creates the table (and its schema) from ``data`` on first use. Returns the rows inserted.
        """
        return self.replace([Replacement(table, key_column, key_values, data)])

    def replace(self, replacements: Iterable[Replacement]) -> int:
        """Apply many partition replacements, streamed one by one, in one transaction.

        One commit for the lot: a failure in any of them leaves every old row in
        place, and a 120-day backfill pays for one durable commit instead of 120.
        """
        inserted, current = 0, None
        with self.connect() as con:
            con.execute("begin transaction")
            try:
                for current in replacements:
                    arrow = current.arrow()
                    con.execute(f"create schema if not exists {current.table.split('.')[0]}")
                    con.register("incoming", arrow)
                    con.execute(f"create table if not exists {current.table} as select * from incoming limit 0")
                    con.execute(
                        f"delete from {current.table} where {current.key_column} in (select unnest(?))",
                        [list(current.key_values)],
                    )
                    con.execute(f"insert into {current.table} by name select * from incoming")
                    con.unregister("incoming")
                    inserted += arrow.num_rows
                con.execute("commit")
            except Exception as error:
                con.execute("rollback")
                where = f"{current.table} ({current.key_column} in {list(current.key_values)[:3]})" if current else "the warehouse"
                if isinstance(error, LeadScoringError):
                    raise
                raise WarehouseError(f"writing {where} failed, nothing written, old rows kept: {error}") from error
        return inserted


@dataclass(frozen=True)
class Replacement:
    """Rows ``data`` replace the rows of ``table`` whose ``key_column`` is in ``key_values``."""

    table: str
    key_column: str
    key_values: list
    data: pa.Table | pd.DataFrame

    def arrow(self) -> pa.Table:
        return self.data if isinstance(self.data, pa.Table) else pa.Table.from_pandas(self.data, preserve_index=False)
