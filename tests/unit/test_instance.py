"""The local Dagster instance queues warehouse writers one at a time; this process's instance pools its event log, or is Dagster's own."""

from dagster import DagsterInstance, QueuedRunCoordinator

from lead_scoring.defs.partitions import WAREHOUSE_WRITER_TAG
from lead_scoring.definitions import defs
from lead_scoring.platform.instance import ensure_dagster_home, open_instance
from lead_scoring.platform.instance_storage import OPEN_DATABASES, PooledSqliteEventLogStorage


def test_instance_limits_warehouse_writers_to_one(tmp_path):
    ensure_dagster_home(tmp_path)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        (key, value), = WAREHOUSE_WRITER_TAG.items()
        limits = coordinator.get_run_queue_config().tag_concurrency_limits
        assert {"key": key, "value": value, "limit": 1} in limits


def test_every_job_writing_the_warehouse_carries_the_writer_tag():
    for job in defs.get_repository_def().get_all_jobs():
        if job.name == "__ASSET_JOB":
            continue
        assert job.tags.get(next(iter(WAREHOUSE_WRITER_TAG))) == "writer", job.name


def test_this_processs_instance_pools_the_event_log_in_dagsters_own_files(tmp_path):
    """Runs stored through the pooled event log read back the same through the instance ``dagster dev`` opens."""
    import dagster as dg

    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
    def numbers():
        yield dg.Output(1)
        yield dg.AssetCheckResult(check_name="positive", passed=True)

    job = dg.Definitions(assets=[numbers], jobs=[dg.define_asset_job("numbers_job")]).resolve_job_def("numbers_job")
    ensure_dagster_home(tmp_path)
    with open_instance(tmp_path) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_ids = [job.execute_in_process(instance=instance).run_id for _ in range(OPEN_DATABASES + 2)]
        assert len(storage._engines) <= OPEN_DATABASES  # a long-lived process does not keep every run open
        stored = [[e.dagster_event_type for e in instance.all_logs(run_id)] for run_id in run_ids]
        with storage.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL (Dagster's own: FULL, 2)
    assert "PooledSqliteEventLogStorage" not in (tmp_path / "dagster.yaml").read_text()
    with DagsterInstance.from_config(str(tmp_path)) as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert [[e.dagster_event_type for e in plain.all_logs(run_id)] for run_id in run_ids] == stored
        assert plain.get_latest_materialization_event(dg.AssetKey("numbers")).run_id == run_ids[-1]
        check = dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")
        assert plain.event_log_storage.get_latest_asset_check_execution_by_key([check])[check].run_id == run_ids[-1]


def test_switched_off_this_processs_instance_is_dagsters_own(tmp_path):
    """``pooled=False`` (LEAD_SCORING_POOLED_EVENT_LOG=false): ``DagsterInstance.from_config``, Dagster's SQLite event log."""
    from dagster._core.storage.event_log import SqliteEventLogStorage

    ensure_dagster_home(tmp_path)
    with open_instance(tmp_path, pooled=False) as instance:
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    with open_instance(tmp_path) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage


def test_the_local_dagster_yaml_names_public_classes_only(tmp_path):
    ensure_dagster_home(tmp_path)
    assert "dagster._" not in (tmp_path / "dagster.yaml").read_text()
