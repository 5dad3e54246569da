"""Ingestion is idempotent per landing day, and a missing day is named, with nothing written."""

from datetime import date, timedelta

import pyarrow as pa
import pytest

from lead_scoring.steps import ingest
from lead_scoring.simulator.generator import simulate
from lead_scoring.warehouse import Replacement, Warehouse, WarehouseError

START = date(2026, 5, 4)


@pytest.fixture()
def landed(tmp_path):
    simulate(tmp_path / "landing", tmp_path / "truth", START, 4, 30, seed=5)
    return tmp_path


def _days(n):
    return [START + timedelta(days=i) for i in range(n)]


def test_reloading_a_day_replaces_it_and_never_duplicates(landed):
    wh = Warehouse(landed / "wh.duckdb")
    first = ingest.load_days(wh, landed / "landing", _days(4))
    ingest.load_days(wh, landed / "landing", _days(2))
    ingest.load_days(wh, landed / "landing", _days(4))
    for table, report in first.items():
        assert report.landed == report.loaded > 0 or table == "campaigns"
        assert wh.query(f"select count(*) as n from raw.{table}").n.iloc[0] == report.loaded
    stats = wh.query("select sum(landed) as landed, sum(loaded) as loaded from quarantine.load_stats")
    assert stats.landed.iloc[0] == stats.loaded.iloc[0] == sum(r.landed for r in first.values())
    assert wh.query("select count(distinct lead_id) = count(*) as ok from raw.leads").ok.iloc[0]


def test_missing_landing_day_names_the_day_and_writes_nothing(landed):
    wh = Warehouse(landed / "wh.duckdb")
    ingest.load_days(wh, landed / "landing", _days(2))
    before = wh.query("select count(*) as n from raw.activities").n.iloc[0]
    (landed / "landing" / "activities" / f"{START + timedelta(days=3)}.parquet").unlink()
    with pytest.raises(ingest.MissingLandingDay, match=f"{START + timedelta(days=3)}.*'activities'"):
        ingest.load_days(wh, landed / "landing", _days(4))
    assert wh.query("select count(*) as n from raw.activities").n.iloc[0] == before
    assert not wh.query("select count(*) as n from raw.leads where _landed_date > ?", [START + timedelta(days=1)]).n.iloc[0]


def test_a_failed_partition_write_keeps_the_old_rows(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.replace_rows("ml.t", pa.table({"day": [1, 1, 2], "x": [1.0, 2.0, 3.0]}), "day", [1, 2])
    bad = pa.table({"day": [1], "x": ["not a number"]})
    with pytest.raises(WarehouseError, match="ml.t"):
        wh.replace_rows("ml.t", bad, "day", [1])
    assert wh.query("select count(*) as n from ml.t where day = 1").n.iloc[0] == 2


def test_ground_truth_lands_in_its_own_schema(landed):
    wh = Warehouse(landed / "wh.duckdb")
    rows = ingest.load_ground_truth(wh, landed / "truth", _days(4))
    assert rows == wh.query("select count(*) as n from ground_truth.lead_propensity").n.iloc[0] > 0
    assert not wh.table_exists("raw.lead_propensity")


def test_a_failed_batch_rolls_back_the_whole_load(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.replace_rows("ml.t", pa.table({"day": [1, 2], "x": [1.0, 2.0]}), "day", [1, 2])
    batches = [Replacement("ml.t", "day", [1], pa.table({"day": [1], "x": [10.0]})),
               Replacement("ml.t", "day", [2], pa.table({"day": [2], "x": ["bad"]}))]
    with pytest.raises(WarehouseError, match="nothing written"):
        wh.replace(batches)
    assert wh.query("select x from ml.t order by day").x.tolist() == [1.0, 2.0]
