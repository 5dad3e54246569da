"""The local Dagster instance: its ``dagster.yaml`` and a handle on it.

Runs made by the CLI are recorded here, so ``dagster dev`` with the same
``DAGSTER_HOME`` shows them. Runs that write to the DuckDB file carry the tag
``lead_scoring/warehouse=writer``; the queued run coordinator lets one such run
go at a time, so a second one waits in the queue instead of failing on DuckDB's lock.
"""

from __future__ import annotations

from pathlib import Path

LOCAL_DAGSTER_YAML = """\
# Written by lead-scoring. Local instance: SQLite storage under this folder.
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: lead_scoring/warehouse
        value: writer
        limit: 1
"""


def ensure_dagster_home(dagster_home: Path) -> Path:
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(LOCAL_DAGSTER_YAML)
    return config
