"""Load landed Parquet files into the warehouse, one day at a time.

Re-loading a day replaces that day's rows (keyed by ``_landed_date``), so a
re-run never duplicates. A day whose file is missing is an error that names
the day and the file; nothing is written for it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lead_scoring.errors import LeadScoringError
from lead_scoring.simulator import landing
from lead_scoring.simulator.schema import GROUND_TRUTH_TABLE, RAW_TABLES
from lead_scoring.warehouse import Warehouse

RAW_SCHEMA = "raw"
GROUND_TRUTH_SCHEMA = "ground_truth"


class MissingLandingDay(LeadScoringError):
    pass


def require_landed(folder: Path, table: str, day: date) -> Path:
    path = landing.day_file(folder, table, day)
    if not path.exists():
        raise MissingLandingDay(f"landing day {day.isoformat()} is missing for table {table!r}: expected {path}")
    return path


def with_load_columns(data: pa.Table, day: date) -> pa.Table:
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    data = data.append_column("_landed_date", pa.array([day] * data.num_rows, pa.date32()))
    return data.append_column("_loaded_at", pa.array([loaded_at] * data.num_rows, pa.timestamp("us")))


def _day_batches(folder: Path, table: str, days: list[date]):
    for day in days:
        yield [day], with_load_columns(pq.read_table(require_landed(folder, table, day)), day)


def load_table_days(warehouse: Warehouse, folder: Path, schema: str, table: str, days: list[date]) -> int:
    """Replace the given landing days of one table, a transaction per day; returns rows loaded."""
    return warehouse.replace_batches(f"{schema}.{table}", "_landed_date", _day_batches(folder, table, days))


def load_days(warehouse: Warehouse, landing_dir: Path, days: list[date]) -> dict[str, int]:
    """Load every raw table for each day; checks all files exist before writing any."""
    for day in days:
        for table in RAW_TABLES:
            require_landed(landing_dir, table, day)
    return {table: load_table_days(warehouse, landing_dir, RAW_SCHEMA, table, days) for table in RAW_TABLES}


def load_ground_truth(warehouse: Warehouse, ground_truth_dir: Path, days: list[date]) -> int:
    return load_table_days(warehouse, ground_truth_dir, GROUND_TRUTH_SCHEMA, GROUND_TRUTH_TABLE, days)
