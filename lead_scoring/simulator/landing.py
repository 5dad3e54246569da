"""Where the simulator lands its files, laid out as an extract-load tool would.

``<landing>/<table>/<YYYY-MM-DD>.parquet`` for the raw tables and
``<ground_truth>/lead_propensity/<YYYY-MM-DD>.parquet`` for the truth, which
lives apart so that no feature code can pick it up by accident.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST_NAME = "_simulation.json"


def day_file(folder: Path, table: str, day: date) -> Path:
    return Path(folder) / table / f"{day.isoformat()}.parquet"


def write_table(folder: Path, table: str, day: date, data: pa.Table | bytes) -> Path:
    """Land one day of one table; ``bytes`` are landed as they are (a scenario's corrupt file)."""
    path = day_file(folder, table, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so that a reader never sees half a file.
    tmp = path.with_suffix(".parquet.tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        # Page checksums, as a careful CRM sync writes them: ingestion then tells a corrupt page from data.
        pq.write_table(data, tmp, write_page_checksum=True)
    tmp.replace(path)
    return path


def landed_days(folder: Path, table: str) -> list[date]:
    return sorted(date.fromisoformat(p.stem) for p in (Path(folder) / table).glob("*.parquet"))


def write_manifest(folder: Path, manifest: dict) -> None:
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST_NAME
    return json.loads(path.read_text()) if path.exists() else {}
