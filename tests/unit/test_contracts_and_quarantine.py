"""Source contracts stop a broken file with a named error; bad rows go to quarantine, good rows go on."""

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from lead_scoring.steps import ingest
from lead_scoring.quality import contracts, quarantine, timestamps
from lead_scoring.simulator import landing
from lead_scoring.simulator.generator import simulate
from lead_scoring.simulator.schema import RAW_TABLES
from lead_scoring.warehouse import Warehouse

START = date(2026, 4, 6)
DAYS = [START + timedelta(days=i) for i in range(3)]


@pytest.fixture()
def landed(tmp_path):
    simulate(tmp_path / "landing", tmp_path / "truth", START, 3, 150, seed=9)
    wh = Warehouse(tmp_path / "wh.duckdb")
    ingest.load_days(wh, tmp_path / "landing", DAYS[:2])
    return tmp_path, wh


def _rewrite(folder, table, day, change):
    path = landing.day_file(folder / "landing", table, day)
    pq.write_table(change(pq.read_table(path)), path)
    return path


def _count(wh, table):
    return wh.query(f"select count(*) as n from {table}").n.iloc[0]


def test_a_clean_day_loads_without_quarantine(landed):
    folder, wh = landed
    reports = ingest.load_days(wh, folder / "landing", DAYS[2:])
    assert all(r.quarantined == 0 and r.landed == r.loaded for r in reports.values())


def test_renamed_column_names_table_file_and_column_and_loads_nothing(landed):
    folder, wh = landed
    before = _count(wh, "raw.leads")
    path = _rewrite(folder, "leads", DAYS[2], lambda t: t.rename_columns(["source_channel" if c == "lead_source" else c for c in t.column_names]))
    with pytest.raises(contracts.ContractViolation) as error:
        ingest.load_days(wh, folder / "landing", DAYS[2:])
    message = str(error.value)
    assert "raw.leads" in message and str(path) in message and "'lead_source' is missing (renamed to 'source_channel'?)" in message
    assert _count(wh, "raw.leads") == before


def test_retyped_column_is_named(landed):
    folder, wh = landed
    _rewrite(folder, "conversions", DAYS[2], lambda t: t.set_column(2, "deal_amount", pc.cast(t["deal_amount"], pa.string())))
    with pytest.raises(contracts.ContractViolation, match="'deal_amount' has type string, expected double"):
        ingest.load_days(wh, folder / "landing", DAYS[2:])


def test_corrupt_file_names_the_file_and_keeps_earlier_days(landed):
    folder, wh = landed
    before = _count(wh, "raw.activities")
    path = landing.day_file(folder / "landing", "activities", DAYS[2])
    path.write_bytes(b"this is not parquet")
    with pytest.raises(contracts.ContractViolation, match=f"{path} cannot be read as Parquet"):
        ingest.load_days(wh, folder / "landing", DAYS[2:])
    assert _count(wh, "raw.activities") == before


def test_orphan_rows_and_negative_amounts_are_quarantined_with_their_reason(landed):
    folder, wh = landed
    def orphan(t):
        ids = t["lead_id"].to_pylist()
        ids[0] = "L-NOBODY"
        return t.set_column(1, "lead_id", pa.array(ids))
    _rewrite(folder, "activities", DAYS[2], orphan)
    _rewrite(folder, "conversions", DAYS[2], lambda t: t.set_column(2, "deal_amount", pa.array([-5.0] * t.num_rows, pa.float64())))
    reports = ingest.load_days(wh, folder / "landing", DAYS[2:])
    assert reports["activities"].reasons == {"unknown lead_id": 1}
    assert reports["activities"].landed == reports["activities"].loaded + 1
    q = wh.query("select lead_id, _reason, _landed_date from quarantine.activities")
    assert q.lead_id.tolist() == ["L-NOBODY"] and q._reason.tolist() == ["unknown lead_id"]
    assert str(q._landed_date.iloc[0])[:10] == DAYS[2].isoformat()
    conversions = reports["conversions"]
    assert conversions.landed > 0 and conversions.loaded == 0 and conversions.quarantined == conversions.landed
    assert set(wh.query("select _reason from quarantine.conversions where _landed_date = ?", [DAYS[2]])._reason) <= {"negative deal_amount"}


def test_text_timestamps_are_parsed_and_unparseable_ones_quarantined(landed):
    folder, wh = landed
    def as_text(t):
        text = pc.strftime(t["occurred_at"], format="%Y-%m-%dT%H:%M:%S").to_pylist()
        text[1] = "yesterday-ish"
        return t.set_column(2, "occurred_at", pa.array(text))
    _rewrite(folder, "activities", DAYS[2], as_text)
    report = ingest.load_days(wh, folder / "landing", DAYS[2:])["activities"]
    assert report.reasons == {"unparseable occurred_at": 1}
    assert wh.query("select occurred_at from quarantine.activities").occurred_at.tolist() == ["yesterday-ish"]
    loaded = wh.query("select count(*) as n from raw.activities where _landed_date = ? and occurred_at is not null", [DAYS[2]]).n.iloc[0]
    assert loaded == report.loaded == report.landed - 1


def test_unknown_lead_ids_are_those_outside_the_known_set():
    ids = pa.chunked_array([["L1", "L9", None, "L1", "L2"]])
    assert quarantine.unknown(ids, pa.array(["L1", "L2", "L3"])).to_pylist() == [False, True, True, False, False]
    assert quarantine.unknown(ids, pa.array([], pa.string())).to_pylist() == [True] * 5


def test_a_prepared_load_validates_and_loads_the_same_rows_and_leaves_no_scratch_files(landed):
    folder, wh = landed
    orphan_every_other = lambda t: t.set_column(  # noqa: E731
        1, "lead_id", pa.array(["L-NOBODY" if i % 2 else lead for i, lead in enumerate(t.column("lead_id").to_pylist())])
    )
    landed_rows = _rewrite(folder, "activities", DAYS[2], orphan_every_other)
    with ingest.prepared_load(wh, folder / "landing", ["activities", "leads"], DAYS[2:]) as prepared:
        assert prepared.tables == ["leads", "activities"]  # contract order: leads first
        validated = sum(chunk.num_rows for chunk in prepared.valid_chunks("activities"))
        report = ingest.load_tables(wh, prepared, ["activities"])["activities"]
        scratch = prepared.workdir
    assert report.landed == pq.read_metadata(landed_rows).num_rows
    assert validated == report.loaded == report.landed - report.landed // 2
    assert report.reasons == {"unknown lead_id": report.landed // 2}
    assert not scratch.exists()


def _corrupt_column_chunk(path, column):
    """Overwrite bytes in the middle of one column chunk's pages; the footer (and so the schema) stays valid."""
    meta = pq.read_metadata(path)
    chunk = meta.row_group(0).column(meta.schema.to_arrow_schema().names.index(column))
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    middle = start + chunk.total_compressed_size // 2
    data[middle:middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("written", [{}, {"compression": "none", "write_page_checksum": True}], ids=["snappy", "checksummed"])
def test_corrupt_data_pages_behind_a_valid_footer_name_file_table_column_and_row_group(landed, written):
    folder, wh = landed
    before = _count(wh, "raw.activities")
    path = landing.day_file(folder / "landing", "activities", DAYS[2])
    pq.write_table(pq.read_table(path), path, **written)
    _corrupt_column_chunk(path, "occurred_at")
    assert pq.read_schema(path).names  # the footer reads: a schema-only preflight passes this file
    named = ["raw.activities", str(path), "column 'occurred_at'", "row group 0"]
    with pytest.raises(contracts.SourceFileError) as read:
        contracts.read_landed_file(path, "activities")
    assert all(part in str(read.value) for part in named), read.value
    (problem,) = ingest.preflight(folder / "landing", ["activities"], DAYS[2:])["activities"]
    assert all(part in problem for part in named), problem
    with pytest.raises(contracts.ContractViolation, match="column 'occurred_at'"):
        ingest.load_days(wh, folder / "landing", DAYS[2:])
    assert _count(wh, "raw.activities") == before


def test_intact_files_pass_the_preflight_and_read_whole(landed):
    folder, _ = landed
    assert ingest.preflight(folder / "landing", list(RAW_TABLES), DAYS[2:]) == {table: [] for table in RAW_TABLES}
    path = landing.day_file(folder / "landing", "activities", DAYS[2])
    assert contracts.read_landed_file(path, "activities").equals(pq.read_table(path))


def test_nanosecond_timestamps_are_truncated_to_the_microseconds_the_warehouse_stores():
    nanos = pa.array([1_700_000_000_123_456_789, -1, None], pa.timestamp("ns"))
    micros = timestamps.to_contract(nanos, pa.timestamp("us"))
    assert micros.cast(pa.int64()).to_pylist() == [1_700_000_000_123_456, -1, None]  # rounded down, before 1970 too
    exact = pa.array([1_700_000_000_123_456], pa.timestamp("us"))
    assert timestamps.to_contract(exact, pa.timestamp("us")).equals(exact)
    zoned = pa.array([1_700_000_000_123_456_789], pa.timestamp("ns", tz="Europe/Paris"))
    assert timestamps.to_contract(zoned, pa.timestamp("us")).cast(pa.int64()).to_pylist() == [1_700_000_000_123_456]


def test_a_nanosecond_file_loads_truncated(landed):
    folder, wh = landed
    original = pq.read_table(landing.day_file(folder / "landing", "activities", DAYS[2]))
    in_nanos = pc.add(original["occurred_at"].cast(pa.timestamp("ns")), pa.scalar(789, pa.duration("ns")))
    _rewrite(folder, "activities", DAYS[2], lambda t: t.set_column(2, "occurred_at", in_nanos))
    report = ingest.load_days(wh, folder / "landing", DAYS[2:])["activities"]
    assert report.quarantined == 0 and report.loaded == original.num_rows
    loaded = wh.query("select activity_id, occurred_at from raw.activities where _landed_date = ?", [DAYS[2]])
    by_id = dict(zip(loaded.activity_id, loaded.occurred_at))
    assert [by_id[i].to_pydatetime() for i in original["activity_id"].to_pylist()] == original["occurred_at"].to_pylist()


def test_text_timestamps_with_mixed_zones_are_converted_to_utc_and_naive_ones_taken_as_utc():
    text = pa.array(["2026-11-01T10:00:00+01:00", "2026-11-01T10:00:00Z", "2026-11-01T10:00:00", "2026-11-01T10:00:00.123456789-05:30",
                     "not a time", None])
    utc = timestamps.to_contract(text, pa.timestamp("us")).to_pylist()
    assert [str(value) if value else None for value in utc] == [
        "2026-11-01 09:00:00", "2026-11-01 10:00:00", "2026-11-01 10:00:00", "2026-11-01 15:30:00.123456", None, None]


def test_a_file_with_zoned_and_naive_text_timestamps_loads_in_utc(landed):
    folder, wh = landed
    path = landing.day_file(folder / "landing", "activities", DAYS[2])
    instants = pq.read_table(path)["occurred_at"].to_pylist()
    def as_text(t):
        text = [f"{value:%Y-%m-%dT%H:%M:%S.%f}" for value in instants]
        text[0] = f"{instants[0] + timedelta(hours=1):%Y-%m-%dT%H:%M:%S.%f}+01:00"  # the same instant, in another zone
        text[1] = f"{instants[1]:%Y-%m-%dT%H:%M:%S.%f}Z"
        return t.set_column(2, "occurred_at", pa.array(text))
    _rewrite(folder, "activities", DAYS[2], as_text)
    report = ingest.load_days(wh, folder / "landing", DAYS[2:])["activities"]
    assert report.quarantined == 0 and report.loaded == len(instants)
    ids = pq.read_table(path)["activity_id"].to_pylist()
    loaded = wh.query("select activity_id, occurred_at from raw.activities where _landed_date = ?", [DAYS[2]])
    by_id = dict(zip(loaded.activity_id, loaded.occurred_at))
    assert [by_id[i].to_pydatetime() for i in ids] == instants
