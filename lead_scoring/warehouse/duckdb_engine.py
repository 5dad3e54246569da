"""The DuckDB engine behind :class:`lead_scoring.warehouse.Warehouse`: one file on one machine.

Reads come back as Arrow; a bulk insert scans the Arrow table in place. The
``duckdb`` module is imported at first use only.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa

from lead_scoring.errors import LeadScoringError
from lead_scoring.warehouse.limits import DuckDbLimits
from lead_scoring.warehouse.names import quote, quote_table, schema_of

_kept_open: dict[str, Any] = {}  # DuckDB file -> the connection holding its database open (keep_open)


@contextlib.contextmanager
def keep_open(path: Path, limits: DuckDbLimits | None = None) -> Iterator[None]:
    """Hold a DuckDB file's database open in this process while the block runs.

    Opening the database costs 12 ms (an in-memory one as much), and a daily run
    opened it about 120 times. Inside the block every connection is a cursor on the
    open database (reads too: one process, one writer). The file is locked against
    other processes until the block ends, so a block is one run, never longer.
    """
    import duckdb  # the driver of the engine in use only

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config=limits.config() if limits else {})
    _kept_open[str(path)] = con
    try:
        yield
    finally:
        del _kept_open[str(path)]
        con.close()


class DuckDb:
    def __init__(self, path: Path, limits: DuckDbLimits | None = None):
        self.path = path
        self.limits = limits  # None: DuckDB's own defaults (80% of RAM, a thread per core)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        import duckdb  # the driver of the engine in use only

        kept = _kept_open.get(str(self.path))
        if kept is None and read_only and not self.path.exists():
            raise LeadScoringError(f"warehouse {self.path} does not exist yet: run `lead-scoring demo` first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        config = self.limits.config() if self.limits else {}
        con = kept.cursor() if kept is not None else duckdb.connect(str(self.path), read_only=read_only, config=config)
        try:
            yield con
        finally:
            con.close()

    def query_arrow(self, sql: str, params: list) -> pa.Table:
        with self.connect(read_only=True) as con:
            return con.sql(sql, params=params or None).to_arrow_table()

    def execute(self, sql: str, params: list) -> None:
        with self.connect() as con:
            con.execute(sql, params)

    def replace(self, replacements: Iterable) -> int:
        inserted = 0
        with self.connect() as con:
            con.execute("begin transaction")
            try:
                for current in replacements:
                    arrow = current.arrow()
                    con.execute(f"create schema if not exists {schema_of(current.table)}")
                    con.register("incoming", arrow)
                    if current.whole_table:
                        con.execute(f"create or replace table {quote_table(current.table)} as select * from incoming")
                    else:
                        con.execute(f"create table if not exists {quote_table(current.table)} as select * from incoming limit 0")
                        con.execute(
                            f"delete from {quote_table(current.table)} where {quote(current.key_column)} in (select unnest(?))",
                            [list(current.key_values)],
                        )
                        con.execute(f"insert into {quote_table(current.table)} by name select * from incoming")
                    con.unregister("incoming")
                    inserted += arrow.num_rows
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return inserted


# Postgres type OIDs -> the Arrow type a query column is read as.
