"""A Postgres role for the feature, training and scoring work that cannot read personal data.

Ingestion lands raw rows as the warehouse's owner. Everything after it (dbt, the training set, training,
scoring, monitoring) can run as a role that reads every raw column but the personal ones and owns the
schemas it writes. Postgres checks column privileges on every query, so a model or a step that starts
reading `raw.leads.email` fails with "permission denied" instead of copying it somewhere.

Names are identifiers, never spliced: every one goes through ``psycopg2.sql.Identifier``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lead_scoring.warehouse import Warehouse, WarehouseError

# Read by the pipeline, written by ingestion (and by the simulator, for ground_truth).
READ_SCHEMAS = ("raw", "quarantine", "ground_truth")
# Written by the pipeline: created, replaced and owned by the role.
WORK_SCHEMAS = ("staging", "intermediate", "marts", "ml", "scoring", "monitoring")


@dataclass(frozen=True)
class RoleGrants:
    role: str
    withheld: dict[str, list[str]]  # raw table -> its personal columns, not granted
    owned: list[str]  # existing tables and views of the work schemas handed to the role

    def describe(self) -> str:
        withheld = "; ".join(f"{table}: {', '.join(columns)}" for table, columns in sorted(self.withheld.items())) or "none"
        return (f"role {self.role}: reads {', '.join(READ_SCHEMAS)} but the personal columns ({withheld}), "
                f"owns {', '.join(WORK_SCHEMAS)} ({len(self.owned)} existing tables and views handed over)")


def grant_pipeline_role(warehouse: Warehouse, role: str, is_personal: Callable[[str], bool]) -> RoleGrants:
    """Grant the existing login role ``role`` what the pipeline after ingestion needs, and no personal column.

    Run as the warehouse's owner, after a first ingestion and again whenever a new raw table appears
    (column privileges are per table; Postgres has no default column grants).
    """
    from psycopg2 import errors, sql  # the driver of the engine in use only

    if warehouse.engine != "postgres":
        raise WarehouseError("a pipeline role is a Postgres feature: this warehouse is a DuckDB file")
    who = sql.Identifier(role)
    withheld: dict[str, list[str]] = {}
    owned: list[str] = []
    with warehouse.connect() as con, con.cursor() as cur:
        cur.execute("select 1 from pg_roles where rolname = %s", [role])
        if cur.fetchone() is None:
            raise WarehouseError(f"role {role!r} does not exist: create it first (create role ... login password ...)")
        # create: the engine says `create schema if not exists`, which Postgres checks before it looks
        cur.execute("select current_database()")
        cur.execute(sql.SQL("grant connect, create on database {} to {}").format(sql.Identifier(cur.fetchone()[0]), who))
        for schema in READ_SCHEMAS:
            cur.execute("select table_name from information_schema.tables where table_schema = %s order by 1", [schema])
            tables = [name for (name,) in cur.fetchall()]
            if not tables:
                continue
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), who))
            for table in tables:
                cur.execute("select column_name from information_schema.columns where table_schema = %s and table_name = %s "
                            "order by ordinal_position", [schema, table])
                columns = [name for (name,) in cur.fetchall()]
                personal = [c for c in columns if is_personal(c)]
                relation = sql.Identifier(schema, table)
                # A table-wide grant covers every column whatever the column grants say: start from none.
                cur.execute(sql.SQL("revoke all on {} from {}").format(relation, who))
                if personal:
                    withheld[f"{schema}.{table}"] = personal
                readable = [sql.Identifier(c) for c in columns if c not in personal]
                cur.execute(sql.SQL("grant select ({}) on {} to {}").format(sql.SQL(", ").join(readable), relation, who))
        for schema in WORK_SCHEMAS:
            try:
                cur.execute(sql.SQL("create schema if not exists {} authorization {}").format(sql.Identifier(schema), who))
            except errors.InsufficientPrivilege as error:
                raise WarehouseError(f"cannot create schema {schema} for role {role!r}: run this as the warehouse's owner ({error})") from error
            cur.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), who))
            cur.execute("select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                        "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') order by 1", [schema])
            for name, kind in cur.fetchall():
                keyword = {"v": "view", "m": "materialized view"}.get(kind, "table")
                cur.execute(sql.SQL(f"alter {keyword} {{}} owner to {{}}").format(sql.Identifier(schema, name), who))
                owned.append(f"{schema}.{name}")
        con.commit()
    return RoleGrants(role, withheld, owned)
