"""Data as it was known: landing time decides what a snapshot sees and which version is current.

On a real warehouse (a DuckDB file, and a Postgres database) loaded through
ingestion from landing files, with real dbt builds: a correction that landed
later survives a re-run of the older landing day; a late delivery changes no
past snapshot or training row and counts in the serving features at once.
"""

from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lead_scoring.steps import ingest
from lead_scoring.quality import contracts
from lead_scoring.simulator import landing
from lead_scoring.warehouse import Warehouse
from tests.integration.simulated import dbt_build, simulated_warehouse
from tests.postgres import fresh_databases

pytestmark = pytest.mark.integration
START = date(2026, 3, 2)
DAYS = 40
LAST = START + timedelta(days=DAYS - 1)  # the latest landing day: "today"
SCORING = LAST + timedelta(days=1)  # the daily run of LAST scores as of the next day
CREATED = START + timedelta(days=20)  # the day the corrected lead was created and landed
CORRECTED = START + timedelta(days=30)  # the day its correction landed
LATE_ROWS = 200


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def landed(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"landing_time_{request.param}")
    if request.param == "duckdb":
        yield simulated_warehouse(tmp, START, DAYS, 30, seed=13), tmp
        return
    with fresh_databases("ls_landing", "wh") as urls:
        yield simulated_warehouse(tmp, START, DAYS, 30, seed=13, location=urls["wh"]), tmp


def _land_more(folder, table: str, day: date, extra: pa.Table) -> None:
    """Add rows to a landing file, as a sync that delivers more than that day's events."""
    path = landing.day_file(folder / "landing", table, day)
    data = contracts.read_landed_file(path, table)
    landing.write_table(folder / "landing", table, day, pa.concat_tables([data, extra.cast(data.schema)]))


def _snapshots(wh: Warehouse) -> pd.DataFrame:
    """Every snapshot before the scoring date, labels included: the rows training can use."""
    return wh.query("select * from marts.lead_snapshots where as_of_date < ? order by lead_id, as_of_date", [SCORING])


def _serving(wh: Warehouse) -> pd.DataFrame:
    return wh.query("select * from marts.lead_features_current order by lead_id").set_index("lead_id")


def test_a_correction_survives_a_rerun_of_the_older_landing_day_and_reaches_only_later_snapshots(landed):
    wh, tmp = landed
    dbt_build(wh, tmp / "target", SCORING)
    seen = wh.query(
        "select lead_id, count(*) as n from marts.lead_snapshots where lead_created_date = ? and as_of_date < ? "
        "group by lead_id having count(*) = 3 order by lead_id", [CREATED, SCORING])
    lead = seen.lead_id.iloc[0]
    leads = contracts.read_landed_file(landing.day_file(tmp / "landing", "leads", CREATED), "leads")
    row = leads.filter(pc.equal(leads["lead_id"], lead))
    original = row["industry"][0].as_py()
    correction = "finance" if original != "finance" else "media"
    _land_more(tmp, "leads", CORRECTED, row.set_column(row.schema.get_field_index("industry"), "industry", pa.array([correction])))
    ingest.load_days(wh, tmp / "landing", [CORRECTED])
    ingest.load_days(wh, tmp / "landing", [CREATED])  # re-run the older partition: loaded last, landed first

    dbt_build(wh, tmp / "target", SCORING)
    assert wh.query("select industry from staging.stg_leads where lead_id = ?", [lead]).industry.tolist() == [correction]
    industry = wh.query("select as_of_date, industry from marts.lead_snapshots where lead_id = ? and as_of_date < ? "
                        "order by as_of_date", [lead, SCORING])
    known = [original if pd.Timestamp(d).date() <= CORRECTED else correction for d in industry.as_of_date]
    assert industry.industry.tolist() == known and original in known and correction in known


def test_a_late_delivery_changes_no_past_snapshot_and_counts_from_its_landing_day(landed):
    wh, tmp = landed
    dbt_build(wh, tmp / "target", SCORING)
    snapshots_before, serving_before = _snapshots(wh), _serving(wh)
    weeks_ago = LAST - timedelta(days=14)
    open_leads = wh.query("select lead_id from marts.lead_features_current where days_since_created >= 21 order by lead_id").lead_id
    assert len(open_leads) >= 20
    lead_ids = [open_leads.iloc[i % 20] for i in range(LATE_ROWS)]
    late = pa.table({
        "activity_id": [f"ALATE{i:05d}" for i in range(LATE_ROWS)],
        "lead_id": lead_ids,
        "occurred_at": pa.array([pd.Timestamp(weeks_ago) + pd.Timedelta(hours=10)] * LATE_ROWS, pa.timestamp("us")),
        "activity_type": ["demo_requested"] * LATE_ROWS,
    })
    _land_more(tmp, "activities", LAST, late)
    ingest.load_days(wh, tmp / "landing", [LAST])
    assert wh.query("select count(*) as n from raw.activities where activity_id like 'ALATE%' and _landed_date = ?", [LAST]).n.iloc[0] == LATE_ROWS

    dbt_build(wh, tmp / "target", SCORING)
    pd.testing.assert_frame_equal(_snapshots(wh), snapshots_before)
    serving_after = _serving(wh)
    added = pd.Series(lead_ids).value_counts()
    for column in ("activities_all_time", "activities_30d", "demo_requested_30d"):
        expected = serving_before[column].add(added, fill_value=0).astype(serving_before[column].dtype)
        pd.testing.assert_series_equal(serving_after[column], expected, check_names=False)
    untouched = serving_before.columns.difference(["activities_all_time", "activities_30d", "demo_requested_30d", "active_days_30d",
                                                   "days_since_last_activity"])
    pd.testing.assert_frame_equal(serving_after[untouched], serving_before[untouched])
