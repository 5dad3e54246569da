"""The Postgres engine behind :class:`lead_scoring.warehouse.Warehouse`: a team's shared warehouse.

Reads come back as Arrow through CSV; a bulk insert is CSV over ``COPY FROM STDIN``.
``psycopg2`` is imported at first use only.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from lead_scoring.warehouse.names import quote, quote_table, schema_of


_READ_TYPES = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int64(), 23: pa.int64(),
    700: pa.float64(), 701: pa.float64(), 1700: pa.float64(),
    1082: pa.date32(), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
}


def postgres_type(arrow_type: pa.DataType) -> str:
    """The Postgres column type that holds an Arrow column without loss."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "bigint" if arrow_type.bit_width > 32 or pa.types.is_unsigned_integer(arrow_type) else "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "double precision"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_dictionary(arrow_type):
        return postgres_type(arrow_type.value_type)
    return "text"


def _index_name(table: str, column: str) -> str:
    """Within Postgres' 63 bytes, and distinct for every (table, column) however long their names."""
    digest = hashlib.sha1(f"{table}.{column}".encode()).hexdigest()[:10]
    readable = f"{table.rsplit('.', 1)[-1]}_{column}".encode()[:50].decode(errors="ignore")
    return f"{readable}_{digest}"


# postgres_type's names as information_schema.columns spells them.
_INFORMATION_TYPES = {"timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone"}


def _csv_ready(arrow: pa.Table) -> pa.Table:
    """Dictionary columns decoded, so the CSV writer writes values, not codes; no empty chunk.

    pyarrow 25's CSV writer writes a run of NUL bytes for a table whose first chunk is empty
    (two days concatenated, the first without rows), which COPY refuses as invalid UTF-8.
    """
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in arrow.columns]
    table = pa.table(columns, names=arrow.column_names)
    return pa.Table.from_batches([b for b in table.to_batches() if b.num_rows], schema=table.schema)


class Postgres:
    # Concurrent runs may create the same table at once; this lock makes that one at a time.
    DDL_LOCK = 7_240_611

    def __init__(self, url: str):
        self.url = url.replace("postgresql+psycopg2://", "postgresql://", 1)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        import psycopg2  # the driver of the engine in use only

        con = psycopg2.connect(self.url)
        try:
            con.set_session(readonly=read_only)
            yield con
        finally:
            con.close()

    @staticmethod
    def _sql(sql: str, params: list) -> str:
        """``?`` placeholders as psycopg2's ``%s`` (and a literal % doubled), when there are params."""
        return sql.replace("%", "%%").replace("?", "%s") if params else sql

    def query_arrow(self, sql: str, params: list) -> pa.Table:
        with self.connect(read_only=True) as con, con.cursor() as cur:
            cur.execute(f"select * from ({self._sql(sql, params)}) as q limit 0", params or None)
            names = [d.name for d in cur.description]
            types = [_READ_TYPES.get(d.type_code, pa.string()) for d in cur.description]
            bound = cur.mogrify(self._sql(sql, params), params or None).decode()
            buffer = io.BytesIO()
            cur.copy_expert(f"copy ({bound}) to stdout with (format csv)", buffer)
        schema = pa.schema(list(zip(names, types)))
        if not buffer.getbuffer().nbytes:
            return schema.empty_table()
        buffer.seek(0)
        return pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=names),
            # COPY writes NULL as an unquoted empty field and nothing else: "null", "NA" or "n/a" are values.
            convert_options=pacsv.ConvertOptions(
                column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""],
                true_values=["t"], false_values=["f"],
            ),
        )

    def execute(self, sql: str, params: list) -> None:
        with self.connect() as con, con.cursor() as cur:
            cur.execute(self._sql(sql, params), params or None)
            con.commit()

    def _create(self, table: str, arrow: pa.Table, replace: bool, cur) -> None:
        wanted = [(field.name, postgres_type(field.type)) for field in arrow.schema]
        if replace:
            schema, name = table.split(".", 1)
            cur.execute("select column_name, data_type from information_schema.columns where table_schema = %s "
                        "and table_name = %s order by ordinal_position", [schema, name])
            if [(column, kind) for column, kind in cur.fetchall()] == [(c, _INFORMATION_TYPES.get(t, t)) for c, t in wanted]:
                # Same columns: emptied in place (as fast as a drop, and as transactional), so the views that
                # read it, dbt's or an analyst's, stay.
                cur.execute(f"truncate {quote_table(table)}")
                return
            # Other columns: views on the old ones could not read the new table; dbt rebuilds its own.
            cur.execute(f"drop table if exists {quote_table(table)} cascade")
        columns = ", ".join(f"{quote(column)} {kind}" for column, kind in wanted)
        cur.execute(f"create table if not exists {quote_table(table)} ({columns})")

    def _ensure_table(self, table: str, arrow: pa.Table | None = None, indexed: Iterable[str] = ()) -> None:
        """Create the table (or only its schema) in a short transaction of its own, serialised across processes.

        Never inside a long write: a schema created there would block every other
        connection's ``create schema if not exists`` until the write commits.
        """
        with self.connect() as con, con.cursor() as cur:
            cur.execute("select pg_advisory_xact_lock(%s)", [self.DDL_LOCK])
            cur.execute(f"create schema if not exists {schema_of(table)}")
            if arrow is not None:
                self._create(table, arrow, replace=False, cur=cur)
                for column in indexed:
                    cur.execute(f"create index if not exists {quote(_index_name(table, column))} on {quote_table(table)} ({quote(column)})")
            con.commit()

    @staticmethod
    def _copy_in(cur, table: str, arrow: pa.Table) -> None:
        if not arrow.num_rows:
            return
        buffer = io.BytesIO()
        pacsv.write_csv(_csv_ready(arrow), buffer, pacsv.WriteOptions(include_header=False))
        buffer.seek(0)
        columns = ", ".join(quote(name) for name in arrow.column_names)
        cur.copy_expert(f"copy {quote_table(table)} ({columns}) from stdin with (format csv)", buffer)

    def replace(self, replacements: Iterable) -> int:
        inserted, created = 0, set()
        with self.connect() as con:
            try:
                with con.cursor() as cur:
                    for current in replacements:
                        arrow = current.arrow()
                        if current.whole_table:
                            self._ensure_table(current.table)
                            self._create(current.table, arrow, replace=True, cur=cur)
                            created.add(current.table)
                        else:
                            if current.table not in created:
                                # A day's rows are found by their key (the delete below) and by their load time (what
                                # dbt's incremental models read since their last run): both without reading the table.
                                indexed = [current.key_column, *(["_loaded_at"] if "_loaded_at" in arrow.column_names else [])]
                                self._ensure_table(current.table, arrow, dict.fromkeys(indexed))
                                created.add(current.table)
                            cur.execute(f"delete from {quote_table(current.table)} where {quote(current.key_column)} = any(%s)", [list(current.key_values)])
                        self._copy_in(cur, current.table, arrow)
                        inserted += arrow.num_rows
                con.commit()
            except BaseException:
                con.rollback()
                raise
        return inserted
