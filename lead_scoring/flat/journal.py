"""An import is all or nothing: a journal of the home as it was, put back when any step of the import fails.

``lead-scoring import`` and the ``flat_import`` job write in many places before
they know the export is good: raw and quarantine tables, load counts, the
generated dbt project, ``source.json`` and the manifest; then dbt builds the
marts, training writes the training set, the gate moves the ``champion``
alias and scoring writes scores. Each of those steps can still refuse the
export. So before the first write the journal keeps what is current:

- the warehouse: the DuckDB file (checkpointed) as a copy, or on Postgres a
  copy of every table and the definition of every view of the product's schemas
  in a journal schema;
- the home's ``flat/`` folder (project, manifest, record);
- which registry versions hold the ``champion``, ``previous_champion`` and
  ``challenger`` aliases.

When the import ends well the journal is dropped; when it fails it is put
back, and the error is raised as it was. A journal left behind by an import
that was killed is put back by the next import before it starts. MLflow runs,
model versions and Dagster runs of a failed import are kept: they are the
record of what was tried, and nothing serves from them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Iterator

from lead_scoring import tables
from lead_scoring.settings import Settings
from lead_scoring.warehouse.names import quote, quote_table
from lead_scoring.warehouse import Warehouse

JOURNAL_SCHEMA = "lead_scoring_import_journal"
COMPLETE = "journal.json"  # written last: a journal without it was never whole and is discarded


def journal_dir(settings: Settings) -> Path:
    return settings.home / "import_journal"


def _postgres_relations(warehouse: Warehouse) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The base tables, and the views with their SQL, of the product's schemas."""
    marks = ", ".join("?" for _ in tables.SCHEMAS)
    found = warehouse.query(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
        f"and table_schema in ({marks}) order by 1, 2", list(tables.SCHEMAS))
    # pg_views qualifies every name that is not on the search path, so a definition replays as it is.
    views = warehouse.query(f"select schemaname, viewname, definition from pg_views where schemaname in ({marks}) "
                            "order by 1, 2", list(tables.SCHEMAS))
    return list(found.itertuples(index=False, name=None)), list(views.itertuples(index=False, name=None))


def _journal_table(schema: str, table: str) -> str:
    return f"{quote(JOURNAL_SCHEMA)}.{quote(f'{schema}.{table}')}"


def _save_warehouse(warehouse: Warehouse, folder: Path) -> dict:
    if warehouse.engine == "duckdb":
        if not warehouse.path.exists():
            return {"engine": "duckdb", "existed": False}
        warehouse.execute("checkpoint")  # the file alone then holds every committed row (no .wal to copy)
        shutil.copy2(warehouse.path, folder / "warehouse.duckdb")
        return {"engine": "duckdb", "existed": True}
    kept, views = _postgres_relations(warehouse)
    warehouse.execute(f"drop schema if exists {quote(JOURNAL_SCHEMA)} cascade")
    warehouse.execute(f"create schema {quote(JOURNAL_SCHEMA)}")
    for schema, table in kept:
        warehouse.execute(f"create table {_journal_table(schema, table)} as select * from {quote_table(f'{schema}.{table}')}")
    schemas = warehouse.query("select schema_name from information_schema.schemata").schema_name
    return {"engine": "postgres", "tables": kept, "views": views, "schemas": sorted(set(schemas) & set(tables.SCHEMAS))}


def _restore_warehouse(warehouse: Warehouse, folder: Path, saved: dict) -> None:
    if saved["engine"] == "duckdb":
        Path(f"{warehouse.path}.wal").unlink(missing_ok=True)
        if saved["existed"]:
            shutil.copy2(folder / "warehouse.duckdb", warehouse.path)
        else:
            warehouse.path.unlink(missing_ok=True)
        return
    for schema in tables.SCHEMAS:
        warehouse.execute(f"drop schema if exists {quote(schema)} cascade")
    for schema in saved["schemas"]:
        warehouse.execute(f"create schema {quote(schema)}")
    for schema, table in saved["tables"]:
        warehouse.execute(f"create table {quote_table(f'{schema}.{table}')} as select * from {_journal_table(schema, table)}")
    for schema, view, definition in saved["views"]:
        warehouse.execute(f"create view {quote_table(f'{schema}.{view}')} as {definition}")
    warehouse.execute(f"drop schema if exists {quote(JOURNAL_SCHEMA)} cascade")


def _aliases(settings: Settings) -> dict[str, str | None]:
    from lead_scoring.ml import registry  # MLflow: imported when an import runs, not with the code location

    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    aliases = (registry.CHAMPION, registry.PREVIOUS_CHAMPION, registry.CHALLENGER)
    return {alias: getattr(registry.version_by_alias(client, alias), "version", None) for alias in aliases}


def _restore_aliases(settings: Settings, saved: dict[str, str | None]) -> None:
    from lead_scoring.ml import registry  # MLflow only to undo an import; the import path loads none

    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    for alias, version in saved.items():
        if version is not None:
            registry.set_alias(client, alias, version)
        elif registry.version_by_alias(client, alias) is not None:
            client.delete_registered_model_alias(registry.REGISTERED_MODEL, alias)


def save(settings: Settings) -> Path:
    """Write the journal of the home as it is now; returns its folder."""
    folder = journal_dir(settings)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if settings.flat_dir.exists():
        shutil.copytree(settings.flat_dir, folder / "flat", symlinks=True)
    record = {"flat_existed": settings.flat_dir.exists(), "warehouse": _save_warehouse(settings.landing_warehouse(), folder),
              "aliases": _aliases(settings)}
    (folder / COMPLETE).write_text(json.dumps(record))
    return folder


def restore(settings: Settings) -> bool:
    """Put the journal back, if there is a whole one; True when something was restored."""
    folder = journal_dir(settings)
    if not (folder / COMPLETE).exists():
        shutil.rmtree(folder, ignore_errors=True)  # killed while writing it: nothing had been changed yet
        return False
    record = json.loads((folder / COMPLETE).read_text())
    _restore_warehouse(settings.landing_warehouse(), folder, record["warehouse"])
    shutil.rmtree(settings.flat_dir, ignore_errors=True)
    if record["flat_existed"]:
        shutil.copytree(folder / "flat", settings.flat_dir, symlinks=True)
    _restore_aliases(settings, record["aliases"])
    discard(settings)
    return True


def discard(settings: Settings) -> None:
    warehouse = settings.landing_warehouse()
    if warehouse.engine == "postgres":
        warehouse.execute(f"drop schema if exists {quote(JOURNAL_SCHEMA)} cascade")
    shutil.rmtree(journal_dir(settings), ignore_errors=True)


@contextlib.contextmanager
def all_or_nothing(settings: Settings) -> Iterator[bool]:
    """The block's changes to the home stay only if it completes; yields whether an older journal was put back first."""
    recovered = restore(settings)
    save(settings)
    try:
        yield recovered
    except BaseException:
        restore(settings)
        raise
    discard(settings)
