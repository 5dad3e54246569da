"""The incremental dbt models equal a full rebuild: 40 daily builds, with re-landed days, late deliveries and
withdrawals, give every row of every model that one `dbt build --full-refresh` of the same raw data gives."""

import json
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from lead_scoring.platform.resources import ProjectDbtResource
from lead_scoring.settings import DBT_PROJECT_DIR, environment
from lead_scoring.simulator.generator import simulate
from lead_scoring.simulator.scenarios import Scenario
from lead_scoring.steps import ingest
from lead_scoring.warehouse import Warehouse
from tests.integration.simulated import dbt_env

pytestmark = pytest.mark.integration
START = date(2026, 3, 2)
DAYS = 40
SCENARIOS = (Scenario("duplicate_leads", 8), Scenario("late_activities", 12), Scenario("consent_revoked", 18))
RELANDED, EMPTIED = START + timedelta(days=20), START + timedelta(days=6)
INCREMENTAL = ["staging.stg_activity_deliveries", "staging.stg_lead_deliveries", "staging.stg_campaign_deliveries",
               "intermediate.int_lead_daily_activity", "intermediate.int_lead_snapshot_features"]
SCHEMAS = ("staging", "intermediate", "marts")


class Builds:
    """dbt commands on the repository's project, in this process as the platform runs them."""

    def __init__(self, wh: Warehouse, tmp: Path):
        self.wh, self.tmp = wh, tmp
        self.resource = ProjectDbtResource(project_dir=str(DBT_PROJECT_DIR), target="prod" if wh.engine == "postgres" else "dev")

    def run(self, *args: str) -> None:
        with environment({**dbt_env(self.wh), "LEAD_SCORING_AS_OF_DATE": ""}):
            result = self.resource.cli(["run", *args], raise_on_error=False, target_path=self.tmp / "runs" / uuid.uuid4().hex).wait()
        assert result.is_successful(), result._error_messages


def landed_file(landing: Path, table: str, day: date) -> Path:
    return landing / table / f"{day.isoformat()}.parquet"


def rewrite(landing: Path, table: str, day: date, change) -> None:
    path = landed_file(landing, table, day)
    pq.write_table(change(pq.read_table(path)), path)


def add_rows(path: Path, rows: pa.Table) -> None:
    table = pq.read_table(path)
    pq.write_table(pa.concat_tables([table, rows.cast(table.schema)]), path)


def moved_and_thinned(activities: pa.Table) -> pa.Table:
    """A third of the day's activities gone, and a tenth of the rest moved to another of the day's leads."""
    kept = activities.filter(pa.array([i % 3 != 0 for i in range(activities.num_rows)]))
    leads = kept["lead_id"].to_pylist()
    moved = [leads[(i + 1) % len(leads)] if i % 10 == 0 else lead for i, lead in enumerate(leads)]
    return kept.set_column(kept.schema.get_field_index("lead_id"), "lead_id", pa.array(moved, kept.schema.field("lead_id").type))


def moved_to(activities: pa.Table, lead_id: str) -> pa.Table:
    return activities.set_column(activities.schema.get_field_index("lead_id"), "lead_id",
                                 pa.array([lead_id] * activities.num_rows, activities.schema.field("lead_id").type))


def consenting_again(withdrawals: pa.Table, on: date) -> pa.Table:
    """Five of the withdrawn leads consent again at noon of ``on``."""
    withdrawn = withdrawals.filter(pc.invert(withdrawals["ml_processing_allowed"])).slice(0, 5)
    return pa.table({"lead_id": withdrawn["lead_id"], "ml_processing_allowed": [True] * withdrawn.num_rows,
                     "changed_at": pa.array([datetime.combine(on, time(12))] * withdrawn.num_rows, pa.timestamp("us"))})


def created_earlier(leads: pa.Table, days: int) -> pa.Table:
    shifted = pc.subtract(leads["created_at"], pa.scalar(timedelta(days=days), pa.duration("us")))
    return leads.set_column(leads.schema.get_field_index("created_at"), "created_at", shifted)


def recategorised(leads: pa.Table) -> pa.Table:
    return leads.set_column(leads.schema.get_field_index("industry"), "industry",
                            pa.array(["retail"] * leads.num_rows, leads.schema.field("industry").type))


def model_rows(wh: Warehouse) -> dict[str, pd.DataFrame]:
    tables = wh.query(
        "select table_schema, table_name from information_schema.tables where table_schema in ('staging', 'intermediate', 'marts')"
        " and table_type = 'BASE TABLE' order by 1, 2")
    rows = {}
    for schema, name in tables.itertuples(index=False):
        frame = wh.query(f'select * from "{schema}"."{name}"')
        rows[f"{schema}.{name}"] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return rows


def indexed_models(wh: Warehouse) -> set[str]:
    """The models with an index: on Postgres, where a day's changed rows are found by key and landing day."""
    if wh.engine == "duckdb":
        return set(wh.query("select schema_name || '.' || table_name as name from duckdb_indexes()").name)
    return set(wh.query("select schemaname || '.' || tablename as name from pg_indexes where schemaname in "
                        "('staging', 'intermediate', 'marts')").name)


def on(engine: str, tmp: Path, test) -> None:
    from tests.postgres import fresh_databases

    if engine == "duckdb":
        test(Warehouse(tmp / "wh.duckdb"))
    else:
        with fresh_databases("ls_incremental", "warehouse") as urls:
            test(Warehouse(urls["warehouse"]))


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_forty_daily_incremental_builds_equal_one_full_refresh(tmp_path, engine):
    landing = tmp_path / "landing"
    simulate(landing, tmp_path / "truth", START, DAYS, 30, seed=5, scenarios=SCENARIOS)
    original = {table: pq.read_table(landed_file(landing, table, RELANDED)) for table in ("activities", "leads")}
    # CRM corrections landed later: five leads of day 10 recategorised on day 27; a third of day 16's activities
    # delivered again on day 29, some moved to another lead; on day 28 (until it is re-landed), day 15's activities
    # of the leads without activity on day 28, all moved to one lead of day 28.
    on_day = lambda offset, table: landed_file(landing, table, START + timedelta(days=offset))
    corrected = recategorised(pq.read_table(on_day(10, "leads")).slice(0, 5))
    add_rows(on_day(27, "leads"), corrected)
    add_rows(on_day(29, "activities"), moved_and_thinned(pq.read_table(on_day(16, "activities"))))
    day_28 = pq.read_table(on_day(28, "activities"))
    # Re-landing day 28 then changes those leads' rows, and only their old versions (landed on day 15) name them.
    day_15 = pq.read_table(on_day(15, "activities"))
    # Day 33: five leads withdrawn on day 18 consent again, and the CRM corrects three leads' creation time (day 5 to 2).
    regranted = consenting_again(pq.read_table(on_day(18, "consents")), START + timedelta(days=33))
    add_rows(on_day(33, "consents"), regranted)
    recreated = created_earlier(pq.read_table(on_day(5, "leads")).slice(0, 3), days=3)
    add_rows(on_day(33, "leads"), recreated)
    add_rows(on_day(28, "activities"),
             moved_to(day_15.filter(pc.invert(pc.is_in(day_15["lead_id"], day_28["lead_id"]))), day_28["lead_id"][0].as_py()))

    def test(wh: Warehouse) -> None:
        builds = Builds(wh, tmp_path)
        for offset in range(DAYS):
            day = START + timedelta(days=offset)
            ingest.load_days(wh, landing, [day])
            if offset == 25:  # day 20 again, with activities gone, activities moved to other leads, leads recategorised
                rewrite(landing, "activities", RELANDED, moved_and_thinned)
                rewrite(landing, "leads", RELANDED, recategorised)
                ingest.load_days(wh, landing, [RELANDED])
            if offset == 30:  # day 20 as first delivered, and day 6 re-landed without a single activity
                for table, rows in original.items():
                    pq.write_table(rows, landed_file(landing, table, RELANDED))
                rewrite(landing, "activities", EMPTIED, lambda table: table.slice(0, 0))
                ingest.load_days(wh, landing, [RELANDED, EMPTIED])
            builds.run()
        # Day 28 re-landed alone, without the activities of day 15 it delivered again: their first versions are
        # current again, and nothing else changed that could name their leads.
        pq.write_table(day_28, on_day(28, "activities"))
        ingest.load_days(wh, landing, [START + timedelta(days=28)])
        builds.run()
        incremental = model_rows(wh)
        assert set(INCREMENTAL) <= set(incremental)
        assert incremental["intermediate.int_lead_daily_activity"].activities_total.notna().all()  # no tombstone left

        assert indexed_models(wh) == (set(INCREMENTAL) if wh.engine == "postgres" else set())

        builds.run("--full-refresh")
        full = model_rows(wh)
        assert set(full) == set(incremental)
        for name, rows in full.items():
            pd.testing.assert_frame_equal(incremental[name], rows, check_dtype=False, obj=name)
        # The sequence did what it is for: late activities, superseded versions, withdrawn consents.
        daily = full["intermediate.int_lead_daily_activity"]
        assert (pd.to_datetime(daily.landed_date) - pd.to_datetime(daily.activity_date)).dt.days.max() > 7
        assert full["staging.stg_lead_deliveries"]._superseded_on.notna().sum() == 5 + 3  # recategorised, created earlier
        assert full["staging.stg_activity_deliveries"]._superseded_on.notna().sum() > 20
        assert (~full["intermediate.int_lead_consent_history"].ml_processing_allowed.astype(bool)).sum() > 10
        assert len(full["marts.lead_snapshots"]) > 500
        snapshots = full["intermediate.int_lead_snapshot_features"]
        assert set(regranted["lead_id"].to_pylist()) <= set(snapshots.lead_id)
        moved = snapshots[snapshots.lead_id.isin(recreated["lead_id"].to_pylist())]
        # snapshot days follow the corrected creation date; before day 34 the features still know the first one
        assert (moved.days_since_created % 7 == 1 - 3 + 7).any()

    on(engine, tmp_path, test)


def test_a_raw_row_edited_in_place_without_a_new_load_time_waits_for_a_full_refresh(tmp_path):
    """The other side: the comparison above can fail. Changed days are found by load time, so an edit that
    keeps the old _loaded_at is not seen by an incremental build, and a full refresh does see it."""
    landing = tmp_path / "landing"
    simulate(landing, tmp_path / "truth", START, 10, 20, seed=5)
    wh = Warehouse(tmp_path / "wh.duckdb")
    ingest.load_days(wh, landing, [START + timedelta(days=i) for i in range(10)])
    builds = Builds(wh, tmp_path)
    builds.run("--full-refresh")
    with wh.connect() as con:
        con.execute("update raw.leads set industry = 'retail' where _landed_date = ?", [START])
    edited = "select count(*) as n from staging.stg_lead_deliveries where industry = 'retail' and _landed_date = ?"
    before = wh.query(edited, [START]).n.iloc[0]
    builds.run()
    assert wh.query(edited, [START]).n.iloc[0] == before
    builds.run("--full-refresh")
    assert wh.query(edited, [START]).n.iloc[0] > before


def test_full_refresh_in_the_run_config_rebuilds_what_an_edit_in_place_changed(demo_settings, tmp_path):
    """What a Dagster user does after editing raw rows in place: the dbt asset's `full_refresh` config."""
    from dagster import AssetKey, DagsterInstance

    from lead_scoring.definitions import build_definitions
    from tests.integration import faults

    home = faults.copy_home(demo_settings, tmp_path / "home")
    wh = Warehouse(home.warehouse_path)
    with wh.connect() as con:
        con.execute("update raw.leads set industry = 'retail' where industry <> 'retail'")
    retail = "select count(*) filter (where industry <> 'retail') as n from staging.stg_lead_deliveries"
    job = build_definitions(home).resolve_implicit_global_asset_job_def()
    selection = [AssetKey(["staging", "stg_lead_deliveries"])]

    def build(**config) -> int:
        run_config = {"ops": {"dbt_models": {"config": config}}} if config else None
        with DagsterInstance.ephemeral() as instance:
            assert job.execute_in_process(instance=instance, asset_selection=selection, run_config=run_config).success
        return wh.query(retail).n.iloc[0]

    assert build() > 0  # incremental: the edit carries no new load time
    assert build(full_refresh=True) == 0


def test_a_days_run_skips_the_whole_history_tests_which_any_other_run_has(demo_settings, tmp_path):
    """The daily job's dbt build leaves out the tests tagged `whole_history` (a day would pay for the whole history);
    the same job with `whole_history_tests: true`, as `retrain` has by default, runs them."""
    from dagster import DagsterInstance

    from lead_scoring.defs.features.assets import DbtBuildConfig
    from lead_scoring.definitions import build_definitions
    from lead_scoring.settings import Settings
    from tests.integration import faults

    home = faults.copy_home(demo_settings, tmp_path / "home")
    manifest = json.loads(Settings.from_env().dbt_manifest_path.read_text())
    whole_history = {n["name"] for n in manifest["nodes"].values() if "whole_history" in n.get("tags", [])}
    assert len(whole_history) == 3
    job = build_definitions(home).resolve_job_def("daily_scoring")
    partition = job.partitions_def.get_partition_keys()[-11]  # the demo ends ten days ago
    # the job's dbt models only: the day's features, as of the day after the partition
    dbt_models = [k for k in job.asset_layer.asset_graph.get_all_asset_keys() if k.path[0] in ("staging", "intermediate", "marts")]

    def checks_run(run_config=None) -> set[str]:
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, partition_key=partition, run_config=run_config,
                                            asset_selection=dbt_models)
            assert result.success
            return {e.asset_check_evaluation_data.check_name for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}

    daily = checks_run()
    assert not daily & whole_history and len(daily) > 10
    assert checks_run({"ops": {"dbt_models": {"config": {"whole_history_tests": True}}}}) >= daily | whole_history
    assert DbtBuildConfig().whole_history_tests  # any other job's default
