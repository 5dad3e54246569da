"""The import journal on both engines: what it saves comes back exactly, tables, views and files alike."""

import dataclasses

import pyarrow as pa
import pytest

from lead_scoring.flat import journal
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Warehouse


@pytest.fixture(params=["duckdb", "postgres"])
def settings(request, tmp_path):
    home = tmp_path / "home"
    base = Settings(home=home, warehouse_path=home / "warehouse.duckdb", dbt_target="dev",
                    mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", mlflow_artifacts=tmp_path / "artifacts",
                    dagster_home=home / "dagster")
    if request.param == "duckdb":
        yield base
        return
    from tests.postgres import fresh_databases

    with fresh_databases("ls_journal", "wh") as urls:
        yield dataclasses.replace(base, warehouse_url=urls["wh"], dbt_target="prod")


def _state(settings: Settings) -> dict:
    warehouse = settings.warehouse()
    tables = warehouse.query("select table_schema, table_name from information_schema.tables "
                             "where table_schema in ('raw', 'staging', 'scoring', 'lead_scoring_import_journal') order by 1, 2")
    rows = {f"{s}.{t}": sorted(map(tuple, warehouse.query(f'select * from "{s}"."{t}"').astype(str).values))
            for s, t in tables.itertuples(index=False)}
    files = {str(p.relative_to(settings.home)): p.read_text() for p in settings.flat_dir.rglob("*") if p.is_file()}
    return {"rows": rows, "files": files}


def _home_with_an_import(settings: Settings) -> None:
    warehouse = settings.warehouse()
    warehouse.overwrite("raw.select", pa.table({"lead_id": ["a", "b"], "group": [1.0, None]}))
    warehouse.overwrite("scoring.lead_scores", pa.table({"lead_id": ["a"], "score": [71]}))
    warehouse.execute("create schema if not exists staging")
    warehouse.execute('create view staging.stg_flat_export as select lead_id, "group" from raw."select"')
    (settings.flat_dir / "dbt").mkdir(parents=True)
    (settings.flat_dir / "source.json").write_text('{"name": "select"}')
    (settings.flat_dir / "dbt" / "model.sql").write_text("select 1")


def test_a_failed_block_puts_the_home_back_exactly(settings):
    _home_with_an_import(settings)
    before = _state(settings)
    warehouse = settings.warehouse()
    with pytest.raises(RuntimeError, match="refused"):
        with journal.all_or_nothing(settings):
            warehouse.overwrite("raw.select", pa.table({"lead_id": ["z"], "group": [9.0]}))
            warehouse.execute("drop view staging.stg_flat_export")
            warehouse.execute("drop table scoring.lead_scores")
            warehouse.overwrite("raw.extra", pa.table({"x": [1]}))
            (settings.flat_dir / "source.json").write_text('{"name": "other"}')
            (settings.flat_dir / "dbt" / "new.sql").write_text("select 2")
            raise RuntimeError("the gate refused")
    assert _state(settings) == before
    assert warehouse.query("select count(*) as n from staging.stg_flat_export").n.iloc[0] == 2  # the view works again
    assert not journal.journal_dir(settings).exists()


def test_a_block_that_completes_keeps_its_changes_and_drops_the_journal(settings):
    _home_with_an_import(settings)
    before = _state(settings)
    with journal.all_or_nothing(settings):
        settings.warehouse().overwrite("raw.select", pa.table({"lead_id": ["z"], "group": [9.0]}))
    after = _state(settings)
    assert after != before and after["rows"]["raw.select"] == [("z", "9.0")]
    assert not journal.journal_dir(settings).exists()
    assert "lead_scoring_import_journal" not in set(Warehouse(settings.warehouse_url or settings.warehouse_path)
                                                    .query("select schema_name from information_schema.schemata").schema_name)


def test_a_journal_left_by_a_killed_import_is_put_back_first(settings):
    _home_with_an_import(settings)
    before = _state(settings)
    journal.save(settings)  # as if the process died after this point
    settings.warehouse().overwrite("raw.select", pa.table({"lead_id": ["half"], "group": [0.5]}))
    with journal.all_or_nothing(settings) as recovered:
        assert recovered and _state(settings)["rows"]["raw.select"] == before["rows"]["raw.select"]


def test_a_journal_that_was_never_completed_changes_nothing(settings):
    _home_with_an_import(settings)
    journal.journal_dir(settings).mkdir(parents=True)  # killed while writing it: no journal.json
    settings.warehouse().overwrite("raw.select", pa.table({"lead_id": ["kept"], "group": [1.0]}))
    assert journal.restore(settings) is False
    assert _state(settings)["rows"]["raw.select"] == [("kept", "1.0")]
