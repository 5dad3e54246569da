"""The home folder: whether it holds a history, and wiping it for `demo --reset`."""

from __future__ import annotations

import shutil
from pathlib import Path

from lead_scoring import tables
from lead_scoring.settings import Settings


def home_in_use(settings: Settings) -> bool:
    """Whether the configured warehouse already holds a history (a run without --reset must not overwrite it)."""
    warehouse = settings.warehouse()
    return warehouse.table_exists("raw.leads") if warehouse.engine == "postgres" else settings.warehouse_path.exists()


def reset_home(settings: Settings) -> None:
    for path in (settings.landing_dir, settings.ground_truth_dir, settings.mlflow_artifacts.parent, settings.dagster_home, settings.flat_dir):
        shutil.rmtree(path, ignore_errors=True)
    warehouse = settings.landing_warehouse()  # the raw data's owner
    if warehouse.engine == "postgres":
        for schema in tables.SCHEMAS:
            warehouse.execute(f"drop schema if exists {schema} cascade")
    for path in (settings.warehouse_path, Path(f"{settings.warehouse_path}.wal")):
        path.unlink(missing_ok=True)
