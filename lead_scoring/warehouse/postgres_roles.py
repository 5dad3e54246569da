"""A Postgres role for the feature, training and scoring work that cannot read personal data.

Ingestion lands raw rows as the warehouse's owner. Everything after it (dbt, the training set, training,
scoring, monitoring) can run as a role that reads every raw column but the personal ones and owns the
schemas it writes. Postgres checks column privileges on every query, so a model or a step that starts
reading `raw.leads.email` fails with "permission denied" instead of copying it somewhere.

Of `quarantine` the role reads only the load log: a quarantined row keeps whatever its file held (an
unparsed line of a flat export, email and all). After the grants, each withheld column is checked with
``has_column_privilege``: a role that can still read one (a superuser, a member of another role that
may) is refused rather than reported as safe.

Names are identifiers, never spliced: every one goes through ``psycopg2.sql.Identifier``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lead_scoring.warehouse import Warehouse, WarehouseError

# Read by the pipeline, written by ingestion (and by the simulator, for ground_truth); None = every table.
READ_TABLES: dict[str, tuple[str, ...] | None] = {"raw": None, "ground_truth": None, "quarantine": ("load_stats",)}
# Written by the pipeline: created, replaced and owned by the role.
WORK_SCHEMAS = ("staging", "intermediate", "marts", "ml", "scoring", "monitoring")


@dataclass(frozen=True)
class RoleGrants:
    role: str
    withheld: dict[str, list[str]]  # table -> its personal columns, not granted
    owned: list[str]  # existing tables and views of the work schemas handed to the role

    def describe(self) -> str:
        withheld = "; ".join(f"{table}: {', '.join(columns)}" for table, columns in sorted(self.withheld.items())) or "none"
        return (f"role {self.role}: reads {', '.join(READ_TABLES)} but the personal columns ({withheld}) and the quarantined "
                f"rows, owns {', '.join(WORK_SCHEMAS)} ({len(self.owned)} existing tables and views handed over); "
                "checked: none of the withheld columns is readable")


def _table_columns(cur, schema: str) -> dict[str, list[str]]:
    cur.execute("select table_name, column_name from information_schema.columns where table_schema = %s "
                "order by table_name, ordinal_position", [schema])
    columns: dict[str, list[str]] = {}
    for table, column in cur.fetchall():
        columns.setdefault(table, []).append(column)
    return columns


def grant_pipeline_role(warehouse: Warehouse, role: str, is_personal: Callable[[str], bool]) -> RoleGrants:
    """Grant the existing login role ``role`` what the pipeline after ingestion needs, and no personal column.

    Run as the warehouse's owner (a superuser, or a member of ``role``), after a first ingestion and again
    whenever a raw table is created anew (column privileges are per table; Postgres has no default column grants).
    """
    from psycopg2 import sql  # the driver of the engine in use only

    if warehouse.engine != "postgres":
        raise WarehouseError("a pipeline role is a Postgres feature: this warehouse is a DuckDB file")
    who = sql.Identifier(role)
    withheld: dict[str, list[str]] = {}
    owned: list[str] = []
    with warehouse.connect() as con, con.cursor() as cur:
        cur.execute("select rolsuper from pg_roles where rolname = %s", [role])
        found = cur.fetchone()
        if found is None:
            raise WarehouseError(f"role {role!r} does not exist: create it first (create role ... login password ...)")
        if found[0]:
            raise WarehouseError(f"role {role!r} is a superuser: it reads every column whatever is granted; use a plain login role")
        cur.execute("select current_user, pg_has_role(current_user, %s, 'MEMBER') or "
                    "(select rolsuper from pg_roles where rolname = current_user)", [role])
        owner, may_act_as_role = cur.fetchone()
        if not may_act_as_role:
            raise WarehouseError(f"{owner} cannot hand schemas to role {role!r}: run this as a superuser, or "
                                 f"`grant {role} to {owner}` first")
        # create: the engine says `create schema if not exists`, which Postgres checks before it looks
        cur.execute("select current_database()")
        cur.execute(sql.SQL("grant connect, create on database {} to {}").format(sql.Identifier(cur.fetchone()[0]), who))
        for schema, only in READ_TABLES.items():
            tables = {t: c for t, c in _table_columns(cur, schema).items() if only is None or t in only}
            if not tables:
                continue
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), who))
            for table, columns in tables.items():
                relation = sql.Identifier(schema, table)
                # A table-wide grant covers every column whatever the column grants say: start from none.
                cur.execute(sql.SQL("revoke all on {} from {}").format(relation, who))
                personal = [c for c in columns if is_personal(c)]
                if personal:
                    withheld[f"{schema}.{table}"] = personal
                readable = [sql.Identifier(c) for c in columns if c not in personal]
                if readable:
                    cur.execute(sql.SQL("grant select ({}) on {} to {}").format(sql.SQL(", ").join(readable), relation, who))
        for schema in WORK_SCHEMAS:
            cur.execute(sql.SQL("create schema if not exists {} authorization {}").format(sql.Identifier(schema), who))
            cur.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), who))
            cur.execute("select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                        "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') and pg_get_userbyid(c.relowner) <> %s "
                        "order by 1", [schema, role])
            for name, kind in cur.fetchall():
                keyword = {"v": "view", "m": "materialized view"}.get(kind, "table")
                cur.execute(sql.SQL(f"alter {keyword} {{}} owner to {{}}").format(sql.Identifier(schema, name), who))
                owned.append(f"{schema}.{name}")
        still_readable = []
        for table, columns in withheld.items():
            for column in columns:
                cur.execute("select has_column_privilege(%s, %s, %s, 'SELECT')", [role, sql.Identifier(*table.split(".", 1)).as_string(cur), column])
                if cur.fetchone()[0]:
                    still_readable.append(f"{table}.{column}")
        if still_readable:
            con.rollback()
            raise WarehouseError(f"role {role!r} can still read {', '.join(still_readable)} (through PUBLIC or another role "
                                 "it belongs to): nothing was granted; revoke that access first")
        con.commit()
    return RoleGrants(role, withheld, owned)
