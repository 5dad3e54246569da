"""The one warehouse interface behaves the same on DuckDB and on Postgres (a fresh database per module)."""

import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from lead_scoring.steps import ingest
from lead_scoring.settings import Settings, dbt_connection_env
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Replacement, Warehouse, WarehouseError, redacted
from tests.postgres import fresh_databases

START = date(2026, 5, 4)


@pytest.fixture(scope="module")
def postgres_url():
    with fresh_databases("ls_wh", "wh") as urls:
        yield urls["wh"]


@pytest.fixture(params=["duckdb", "postgres"])
def wh(request, tmp_path, postgres_url):
    if request.param == "duckdb":
        return Warehouse(tmp_path / "wh.duckdb")
    warehouse = Warehouse(postgres_url)
    for schema in ("ml", "raw", "quarantine", "ground_truth"):
        warehouse.execute(f"drop schema if exists {schema} cascade")
    return warehouse


def sample() -> pa.Table:
    return pa.table(
        {
            "day": pa.array([date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 2)], pa.date32()),
            "lead_id": ["L1", "L2", ""],
            "n": pa.array([1, None, 3], pa.int64()),
            "x": [1.5, float("nan"), -2.0],
            "flag": [True, False, None],
            "seen_at": pa.array([datetime(2026, 1, 1, 8, 30), None, datetime(2026, 1, 2, 23, 59, 59, 5)], pa.timestamp("us")),
            "note": ['with "quotes", commas', None, "line\nbreak"],
        }
    )


def test_rows_come_back_as_they_went_in(wh):
    assert wh.replace_rows("ml.t", sample(), "day", [date(2026, 1, 1), date(2026, 1, 2)]) == 3
    back = wh.query("select * from ml.t order by n nulls last")
    assert back.columns.tolist() == sample().column_names
    assert back.lead_id.tolist() == ["L1", "", "L2"]  # an empty string stays empty, not null
    assert back.n.isna().tolist() == [False, False, True]
    assert back.x.iloc[0] == 1.5 and pd.isna(back.x.iloc[2])
    assert back.flag.tolist()[:2] == [True, None] or back.flag.tolist()[:2] == [True, pd.NA]
    assert back.note.tolist()[0] == 'with "quotes", commas' and back.note.tolist()[1] == "line\nbreak"
    assert pd.api.types.is_datetime64_any_dtype(back.day) and pd.api.types.is_datetime64_any_dtype(back.seen_at)
    assert back.seen_at.iloc[1] == pd.Timestamp(2026, 1, 2, 23, 59, 59, 5)
    assert wh.query("select count(*) as n from ml.t where lead_id = ? and day = ?", ["L1", date(2026, 1, 1)]).n.iloc[0] == 1
    assert wh.columns("ml.t") == sample().column_names and wh.table_exists("ml.t") and not wh.table_exists("ml.nope")


def test_a_table_whose_first_chunk_is_empty_is_written_whole(wh):
    """Days concatenated, the first without rows: pyarrow's CSV writer wrote NUL bytes for it, which COPY refused."""
    days = pa.concat_tables([sample().slice(0, 0), sample()])
    assert days.column(0).num_chunks == 2 and len(days.column(0).chunk(0)) == 0
    wh.replace([Replacement.whole("ml.t", days)])
    assert wh.query("select count(*) as n from ml.t").n.iloc[0] == 3


def test_replacing_a_partition_twice_never_duplicates(wh):
    for _ in range(2):
        wh.replace_rows("ml.t", sample(), "day", [date(2026, 1, 1), date(2026, 1, 2)])
    wh.replace_rows("ml.t", sample().slice(2), "day", [date(2026, 1, 2)])
    assert wh.query("select count(*) as n from ml.t").n.iloc[0] == 3


def test_a_failure_midway_leaves_every_old_row(wh):
    wh.replace_rows("ml.t", pa.table({"day": [1, 2], "x": [1.0, 2.0]}), "day", [1, 2])
    batches = [Replacement("ml.t", "day", [1], pa.table({"day": [1], "x": [10.0]})),
               Replacement("ml.t", "day", [2], pa.table({"day": [2], "x": ["bad"]}))]
    with pytest.raises(WarehouseError, match=r"ml.t \(day in \[2\]\).*nothing written"):
        wh.replace(batches)
    assert wh.query("select x from ml.t order by day").x.tolist() == [1.0, 2.0]


def test_overwrite_swaps_the_whole_table(wh):
    wh.overwrite("ml.ref", pd.DataFrame({"feature": ["a", "b"], "null_rate": [0.1, 0.2]}))
    wh.overwrite("ml.ref", pd.DataFrame({"feature": ["c"], "null_rate": [0.3]}))
    assert wh.query("select feature from ml.ref").feature.tolist() == ["c"]


@pytest.mark.timeout(60, method="thread")  # a write that blocks itself hangs in libpq, deaf to signals
def test_whole_tables_and_partitions_change_together_or_not_at_all(wh):
    schema = f"s{uuid.uuid4().hex[:8]}"  # a new schema, created inside the write: it once blocked the write's next table
    wh.replace([Replacement.whole(f"{schema}.snapshot", pa.table({"id": [1, 2], "a": [1.0, 2.0]})),
                Replacement(f"{schema}.counts", "key", ["k"], pa.table({"key": ["k"], "n": [2]}))])
    wh.replace([Replacement.whole(f"{schema}.snapshot", pa.table({"id": [3], "b": ["x"]})),
                Replacement(f"{schema}.counts", "key", ["k"], pa.table({"key": ["k"], "n": [1]}))])
    assert wh.columns(f"{schema}.snapshot") == ["id", "b"]
    with pytest.raises(WarehouseError, match=rf"{schema}.counts \(key in \['k'\]\).*old rows kept"):
        wh.replace([Replacement.whole(f"{schema}.snapshot", pa.table({"id": [4], "c": [1]})),
                    Replacement(f"{schema}.counts", "key", ["k"], pa.table({"key": ["k"], "n": ["many"]}))])
    assert wh.query(f"select * from {schema}.snapshot").to_dict("list") == {"id": [3], "b": ["x"]}
    assert wh.query(f"select n from {schema}.counts").n.tolist() == [1]


def test_ingestion_is_idempotent_on_both_engines(wh, tmp_path):
    simulate(tmp_path / "landing", tmp_path / "truth", START, 3, 20, seed=5)
    days = [START + timedelta(days=i) for i in range(3)]
    first = ingest.load_days(wh, tmp_path / "landing", days)
    ingest.load_days(wh, tmp_path / "landing", days[1:])
    for table, report in first.items():
        assert wh.query(f"select count(*) as n from raw.{table}").n.iloc[0] == report.loaded
    assert wh.query("select count(distinct lead_id) = count(*) as ok from raw.leads").ok.iloc[0]


def _write_day(url: str, day: int) -> None:
    rows = pa.table({"day": [day] * 50_000, "x": [float(day)] * 50_000})
    Warehouse(url).replace([Replacement("ml.parallel", "day", [day], rows)] * 3)


def test_postgres_takes_concurrent_writers_of_different_partitions(postgres_url):
    Warehouse(postgres_url).execute("drop schema if exists ml cascade")
    # An executor, not a Pool: a worker that dies fails the test (BrokenProcessPool) instead of hanging the suite.
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_write_day, [postgres_url] * 4, range(4), timeout=300))
    counts = Warehouse(postgres_url).query("select day, count(*) as n from ml.parallel group by day order by day")
    assert counts.n.tolist() == [50_000] * 4


def test_settings_pick_postgres_from_one_url(monkeypatch, tmp_path):
    monkeypatch.setenv("LEAD_SCORING_HOME", str(tmp_path))
    for exported in ("LEAD_SCORING_DBT_TARGET", "LEAD_SCORING_WAREHOUSE_PATH", "PGOPTIONS", "LEAD_SCORING_PG_WORK_MEM"):
        monkeypatch.delenv(exported, raising=False)  # a session fixture may export a demo home's
    monkeypatch.setenv("LEAD_SCORING_WAREHOUSE_URL", "postgresql://app:s%40cret@db.internal:6543/lead_scoring")
    settings = Settings.from_env()
    assert settings.warehouse().engine == "postgres" and settings.dbt_target == "prod"
    assert dbt_connection_env(settings.warehouse_url, settings.pg_options) == {
        "LEAD_SCORING_PG_HOST": "db.internal", "LEAD_SCORING_PG_PORT": "6543", "LEAD_SCORING_PG_USER": "app",
        "LEAD_SCORING_PG_PASSWORD": "s@cret", "LEAD_SCORING_PG_DBNAME": "lead_scoring", "PGOPTIONS": "-c work_mem=256MB",
    }
    assert "s%40cret" not in redacted(settings.warehouse_url) and "***" in str(settings.warehouse())
    monkeypatch.delenv("LEAD_SCORING_WAREHOUSE_URL")
    settings = Settings.from_env()
    assert settings.warehouse().engine == "duckdb" and settings.dbt_target == "dev"
    assert settings.warehouse().path == tmp_path / "warehouse.duckdb"


def test_dbt_sessions_get_a_work_mem_unless_the_user_set_their_own_options():
    url = "postgresql://app@db.internal:5432/lead_scoring"
    settings = Settings.from_env({"LEAD_SCORING_WAREHOUSE_URL": url, "LEAD_SCORING_PG_WORK_MEM": "1GB"})
    assert settings.dbt_env()["PGOPTIONS"] == "-c work_mem=1GB"
    own = Settings.from_env({"LEAD_SCORING_WAREHOUSE_URL": url, "LEAD_SCORING_PG_WORK_MEM": "1GB", "PGOPTIONS": "-c statement_timeout=600000"})
    assert own.dbt_env()["PGOPTIONS"] == "-c statement_timeout=600000"
    assert "PGOPTIONS" not in dbt_connection_env("", Settings.pg_options)  # DuckDB: no Postgres session to configure


def test_the_dagster_resource_never_holds_the_postgres_password(monkeypatch, tmp_path):
    from lead_scoring.definitions import build_resources

    monkeypatch.setenv("LEAD_SCORING_HOME", str(tmp_path))
    monkeypatch.delenv("LEAD_SCORING_WAREHOUSE_PATH", raising=False)  # a session fixture may export a demo home's
    monkeypatch.setenv("LEAD_SCORING_WAREHOUSE_URL", "postgresql://app:s3cret@db.internal:5432/lead_scoring")
    resource = build_resources(Settings.from_env())["warehouse"]
    assert "s3cret" not in repr(resource) and "LEAD_SCORING_WAREHOUSE_URL" in repr(resource)
    monkeypatch.delenv("LEAD_SCORING_WAREHOUSE_URL")
    assert str(tmp_path / "warehouse.duckdb") in repr(build_resources(Settings.from_env())["warehouse"])


def _another_process_can_open(path) -> bool:
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"], capture_output=True)
    return probe.returncode == 0


def test_a_kept_open_duckdb_is_opened_once_and_free_for_other_processes_after(tmp_path, monkeypatch):
    import duckdb

    from lead_scoring.warehouse.duckdb_engine import keep_open

    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.overwrite("raw.numbers", pd.DataFrame({"n": [1, 2, 3]}))
    opened = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real_connect(*a, **k))
    with keep_open(wh.path):
        for _ in range(5):
            assert wh.query("select sum(n) as s from raw.numbers").s.iloc[0] == 6
        wh.replace_rows("raw.numbers", pd.DataFrame({"n": [4]}), "n", [4])  # a write between reads
        with wh.connect(read_only=True) as con:
            assert con.execute("select count(*) from raw.numbers").fetchone()[0] == 4
        assert len(opened) == 1, "every connection inside the block is a cursor on the one open database"
        assert not _another_process_can_open(wh.path)
    assert _another_process_can_open(wh.path), "the file is free once the block ends"
    wh.query("select 1 as x")
    assert len(opened) == 2  # outside the block each connection opens the database, as before


def test_texts_that_look_like_null_read_back_as_themselves(wh):
    """Postgres results come back as CSV: "null", "NA" or "n/a" are values there, only a missing value is None.
    (They read back as None before, so an export column named `null` vanished on Postgres.)"""
    texts = ["null", "NULL", "NA", "n/a", "NaN", "#N/A", "", None, "nan", "None"]
    wh.overwrite("raw.lookalikes", pa.table({"i": list(range(len(texts))), "text": pa.array(texts, pa.string())}))
    back = wh.query_arrow("select i, text from raw.lookalikes order by i").column("text").to_pylist()
    assert back == texts
    assert wh.query_arrow("select text as \"null\" from raw.lookalikes where text = ?", ["null"]).column_names == ["null"]


def test_overwriting_a_table_keeps_the_views_that_read_it(wh):
    """A re-import overwrites raw.<export> while dbt's staging view reads it: Postgres refused to drop the table."""
    wh.overwrite("raw.export", pa.table({"lead_id": ["a"], "group": [1.0]}))
    wh.execute("create schema if not exists staging")
    wh.execute('create or replace view staging.v as select lead_id, "group" from raw.export')
    wh.overwrite("raw.export", pa.table({"lead_id": ["b", "c"], "group": [2.0, 3.0]}))
    assert wh.query("select lead_id from staging.v order by 1").lead_id.tolist() == ["b", "c"]
    wh.overwrite("raw.export", pa.table({"lead_id": ["d"], "other": ["x"]}))  # other columns: a new table
    assert wh.columns("raw.export") == ["lead_id", "other"]
    wh.execute("drop view if exists staging.v")


def test_dbt_in_the_run_gets_the_configured_session_options(monkeypatch):
    """The in-process dbt of a run reads PGOPTIONS from the warehouse resource: the configured work_mem, not a default."""
    import os

    from lead_scoring.definitions import build_resources
    from lead_scoring.platform.resources import WarehouseResource

    url = "postgresql://app@db.internal:5432/lead_scoring"
    settings = Settings.from_env({"LEAD_SCORING_WAREHOUSE_URL": url, "LEAD_SCORING_PG_WORK_MEM": "1GB"})
    assert build_resources(settings)["warehouse"].pg_options == "-c work_mem=1GB"
    monkeypatch.delenv("PGOPTIONS", raising=False)
    with WarehouseResource(location=url, pg_options=settings.pg_options).exported_for_dbt():
        assert os.environ["PGOPTIONS"] == "-c work_mem=1GB"
    assert "PGOPTIONS" not in os.environ


def test_postgres_finds_a_days_rows_by_index(postgres_url):
    """A keyed replacement's key and load time are indexed on Postgres: deleting a landing day, and dbt reading what
    loaded since its last run, do not read a year of raw rows. A whole-table replacement has no key to index."""
    wh = Warehouse(postgres_url)
    loaded = sample().append_column("_loaded_at", pa.array([datetime(2026, 1, 3)] * 3, pa.timestamp("us")))
    long_name = "ml.a_table_name_of_sixty_three_characters_which_postgres_allows_xx"
    for table in ("ml.keyed", long_name):
        wh.replace_rows(table, loaded, "day", [date(2026, 1, 1), date(2026, 1, 2)])
    wh.replace([Replacement.whole("ml.whole", loaded)])
    indexes = wh.query("select tablename, indexdef from pg_indexes where schemaname = 'ml' order by indexdef")
    for table in ("keyed", long_name.split(".")[1]):
        defs = indexes[indexes.tablename == table].indexdef.tolist()
        assert [d.rsplit("(", 1)[1] for d in defs] == ["_loaded_at)", "day)"], defs
    assert "whole" not in indexes.tablename.tolist()
    wh.replace_rows("ml.keyed", loaded, "day", [date(2026, 1, 1)])  # the indexes exist: created once
    assert len(wh.query("select * from pg_indexes where tablename = 'keyed'")) == 2


def test_a_snapshot_sample_keeps_the_same_nested_share_on_both_engines(wh):
    import hashlib

    from lead_scoring.ml.dataset import SnapshotSample

    days = pd.date_range("2026-01-01", periods=20).date
    wh.overwrite("ml.snapshots", pd.DataFrame({"lead_id": [f"lead-{i // 20}" for i in range(20_000)],
                                               "as_of_date": [days[i % 20] for i in range(20_000)]}))

    def kept(share: float) -> set[tuple[str, str]]:
        condition, params = SnapshotSample(20_000, share).where()
        rows = wh.query(f"select lead_id, as_of_date from ml.snapshots where true{condition}", params)
        return set(zip(rows.lead_id, pd.to_datetime(rows.as_of_date).dt.date))

    assert SnapshotSample.at_most(20_000, 20_000).where() == ("", [])  # a history within the bound is read whole
    assert len(kept(1.0)) == 20_000
    quarter, tenth = kept(0.25), kept(0.10)
    assert 4_700 < len(quarter) < 5_300 and 1_800 < len(tenth) < 2_200
    assert tenth < quarter  # a snapshot kept at a lower share stays kept at a higher one
    assert len({lead for lead, _ in tenth}) > 800  # spread over the leads, not whole leads

    # The engines agree: MD5's first 32 bits of "lead/days since 1970", compared as text, are what Python computes.
    def below(lead: str, day) -> bool:
        key = f"{lead}/{(day - date(1970, 1, 1)).days}"
        return int(hashlib.md5(key.encode()).hexdigest()[:8], 16) < int(0.10 * 16**8)

    assert tenth == {(f"lead-{i // 20}", days[i % 20]) for i in range(20_000) if below(f"lead-{i // 20}", days[i % 20])}
