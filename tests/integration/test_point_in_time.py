"""Point-in-time correctness of the dbt features, on a real DuckDB file with real dbt runs.

Adding events after an as-of date, or moving later events around, must not
change any feature of a snapshot at that date, nor the serving features.
"""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from lead_scoring.platform.dbt_cli import PIPELINE_EXCLUDES
from lead_scoring.settings import DBT_PROJECT_DIR
from lead_scoring.warehouse import Warehouse
from tests.integration.simulated import simulated_warehouse

pytestmark = pytest.mark.integration
START = date(2026, 2, 2)
DAYS = 45
CUTOFF = START + timedelta(days=30)  # as-of date whose features must not see what comes after


def dbt_build(warehouse_path: Path, target: Path, as_of: date) -> None:
    """A full rebuild: the tests edit raw rows in place, which an incremental build does not look for."""
    env = {**os.environ, "LEAD_SCORING_WAREHOUSE_PATH": str(warehouse_path)}
    command = [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--quiet", "--full-refresh", *PIPELINE_EXCLUDES,
               "--vars", json.dumps({"as_of_date": as_of.isoformat()})]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def features_at(wh: Warehouse, table: str) -> pd.DataFrame:
    frame = wh.query(f"select * from marts.{table} where as_of_date <= ? order by lead_id, as_of_date", [CUTOFF])
    return frame.drop(columns=[c for c in ("label_is_mature", "converted_within_30d", "label_window_end") if c in frame])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pit")
    return simulated_warehouse(tmp, START, DAYS, 40, seed=11), tmp


def test_future_events_change_no_feature(warehouse):
    wh, tmp = warehouse
    dbt_build(wh.path, tmp / "target", CUTOFF)
    serving_before = features_at(wh, "lead_features_current")
    dbt_build(wh.path, tmp / "target", START + timedelta(days=DAYS))
    snapshots_before = features_at(wh, "lead_snapshots")
    assert len(snapshots_before) > 100 and len(serving_before) > 100

    with wh.connect() as con:
        later = con.execute("select count(*) from raw.activities where occurred_at >= ?", [CUTOFF]).fetchone()[0]
        # Move every later event further into the future, and add a burst of demo requests at the cutoff itself.
        con.execute("update raw.activities set occurred_at = occurred_at + interval 3 day where occurred_at >= ?", [CUTOFF])
        con.execute(
            """insert into raw.activities
               select 'AFUTURE' || lead_id, lead_id, cast(? as timestamp), 'demo_requested', cast(? as date), now()
               from raw.leads where created_at < ?""",
            [CUTOFF, CUTOFF, CUTOFF],
        )
    assert later > 0

    dbt_build(wh.path, tmp / "target", START + timedelta(days=DAYS))
    pd.testing.assert_frame_equal(features_at(wh, "lead_snapshots"), snapshots_before)
    dbt_build(wh.path, tmp / "target", CUTOFF)
    pd.testing.assert_frame_equal(features_at(wh, "lead_features_current"), serving_before)


def test_an_event_before_the_cutoff_does_change_the_features(warehouse):
    """The other side of the guard: the comparison above can fail."""
    wh, tmp = warehouse
    dbt_build(wh.path, tmp / "target", CUTOFF)
    before = features_at(wh, "lead_features_current")
    lead = before.lead_id.iloc[0]
    with wh.connect() as con:  # landed the day before the cutoff, as the daily run lands it: known at the cutoff
        con.execute(
            "insert into raw.activities values ('APAST', ?, cast(? as timestamp) - interval 1 hour, 'demo_requested', cast(? as date), now())",
            [lead, CUTOFF, CUTOFF - timedelta(days=1)],
        )
    dbt_build(wh.path, tmp / "target", CUTOFF)
    after = features_at(wh, "lead_features_current")
    assert after.loc[after.lead_id == lead, "demo_requested_30d"].iloc[0] == before.loc[before.lead_id == lead, "demo_requested_30d"].iloc[0] + 1


def _scoring_date(wh: Warehouse, tmp: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "dbt"), "run", "--select", "int_scoring_date", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp / "target"), *args]
    return subprocess.run(command, env={**os.environ, "LEAD_SCORING_WAREHOUSE_PATH": str(wh.path), **env}, capture_output=True, text=True)


def test_the_scoring_date_is_the_var_else_the_environment_else_the_data(warehouse):
    wh, tmp = warehouse
    dbt_build(wh.path, tmp / "target", CUTOFF)  # staging in place
    date_row = lambda: wh.query("select scoring_date, scoring_date_source, latest_data_date from intermediate.int_scoring_date").iloc[0]  # noqa: E731
    for env, args, expected in [
        ({"LEAD_SCORING_AS_OF_DATE": "2026-02-20"}, [], (date(2026, 2, 20), "environment")),
        ({"LEAD_SCORING_AS_OF_DATE": "2026-02-20"}, ["--vars", '{"as_of_date": "2026-02-21"}'], (date(2026, 2, 21), "var")),
        ({"LEAD_SCORING_AS_OF_DATE": ""}, [], (None, "latest_data")),  # the day after the latest data
    ]:
        assert _scoring_date(wh, tmp, env, *args).returncode == 0
        row = date_row()
        expected = (expected[0] or pd.Timestamp(row.latest_data_date).date() + timedelta(days=1), expected[1])
        assert (pd.Timestamp(row.scoring_date).date(), row.scoring_date_source) == expected
    refused = _scoring_date(wh, tmp, {"LEAD_SCORING_AS_OF_DATE": "20.02.2026"})
    assert refused.returncode != 0 and "as_of_date (environment) must look like 'YYYY-MM-DD', got: 20.02.2026" in refused.stdout
