"""The Dagster instance: its ``dagster.yaml``, local or production.

Local: runs made by the CLI are recorded under the home folder (SQLite), so
``dagster dev`` with the same ``DAGSTER_HOME`` shows them. Runs that write to
the DuckDB file carry the tag ``lead_scoring/warehouse=writer``; the queued run
coordinator lets one such run go at a time, so a second one waits in the queue
instead of failing on DuckDB's lock.

Production (``deploy/dagster.yaml``): Postgres storage, the same queue without
the one-writer limit (Postgres takes concurrent writers), one dbt build at a
time, run monitoring and freshness.

``open_instance(home, pooled=False)`` (``LEAD_SCORING_POOLED_EVENT_LOG=false``) is
Dagster's own instance, unchanged; the pooled event log and the Dagster internals
it relies on are listed in ``docs/platform.md``.
"""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._serdes import ConfigurableClassData

from lead_scoring.settings import PROJECT_DIR

PRODUCTION_DAGSTER_YAML = PROJECT_DIR / "deploy" / "dagster.yaml"

LOCAL_DAGSTER_YAML = """\
# Written by lead-scoring. Local instance: SQLite storage under this folder.
telemetry:
  enabled: false
run_coordinator:
  module: dagster
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: lead_scoring/warehouse
        value: writer
        limit: 1
"""


def open_instance(dagster_home: Path, pooled: bool = True):
    """The instance under ``dagster_home``, for this process's runs (``demo``, ``replay``).

    ``pooled``: a local SQLite event log becomes
    :class:`~lead_scoring.platform.instance_storage.PooledSqliteEventLogStorage` on the same
    files; ``dagster.yaml`` stays as Dagster reads it, so ``dagster dev`` needs nothing of ours.
    Not pooled: ``DagsterInstance.from_config``, Dagster's stock instance and event log.
    """

    if not pooled:
        return DagsterInstance.from_config(str(dagster_home))
    return DagsterInstance.from_ref(pooled_instance_ref(dagster_home))


def pooled_instance_ref(dagster_home: Path):
    """The ``InstanceRef`` Dagster reads from ``dagster_home``, its SQLite event log swapped for the pooled one.

    Dagster internals (``docs/platform.md``): ``dagster._core.instance.ref.InstanceRef``
    (``from_dir``, its ``storage_data`` / ``run_storage_data`` / ``event_storage_data``
    fields, NamedTuple ``_replace``) and ``dagster._serdes.ConfigurableClassData``.
    Any other event log (Postgres) is left as configured.
    """

    ref = InstanceRef.from_dir(str(dagster_home))
    event_log = ref.event_storage_data
    if event_log is not None and event_log.class_name == "SqliteEventLogStorage" and ref.run_storage_data:
        pooled = ConfigurableClassData("lead_scoring.platform.instance_storage", "PooledSqliteEventLogStorage", event_log.config_yaml)
        ref = ref._replace(storage_data=None, event_storage_data=pooled)  # the unified storage would win otherwise
    return ref


def ensure_dagster_home(dagster_home: Path, production: bool = False) -> Path:
    """Write ``dagster.yaml`` into ``dagster_home`` unless one is there (a user's own is kept)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(PRODUCTION_DAGSTER_YAML.read_text() if production else LOCAL_DAGSTER_YAML)
    return config
