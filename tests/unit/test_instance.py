"""The local Dagster instance queues warehouse writers one at a time."""

from dagster import DagsterInstance
from dagster._core.run_coordinator import QueuedRunCoordinator

from lead_scoring.defs.partitions import WAREHOUSE_WRITER_TAG
from lead_scoring.definitions import defs
from lead_scoring.instance import ensure_dagster_home


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
