"""Landed timestamps brought to the contract's type: naive UTC, in microseconds.

The warehouse stores timestamps without a zone, in UTC, to the microsecond
(DuckDB's and Postgres' ``timestamp``), and the contract types them so.

* Finer units (``timestamp[ns]``, as pandas-born writers produce) are truncated
  to the microsecond, rounding down: the warehouse cannot hold the nanoseconds,
  and failing a whole file for digits no model or report reads would stop the
  daily load for nothing.
* Zoned timestamps (a typed ``timestamp[..., tz]`` or text with an offset,
  ``+01:00`` or ``Z``) are converted to UTC.
* Text without an offset is taken as UTC already, as a typed timestamp without a
  zone is: the CRM sync writes UTC, and a column may mix both forms (one writer
  appending ``Z``, another not) without meaning different clocks.
* Text that does not parse becomes null, and its row goes to quarantine.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

FINER_THAN_MICROSECONDS = ("ns",)


def is_text(column: pa.Array) -> bool:
    return pa.types.is_string(column.type) or pa.types.is_large_string(column.type)


def to_contract(column: pa.Array, target: pa.DataType) -> pa.Array:
    """``column`` (typed or text timestamps) as ``target``; text that does not parse is null."""
    if is_text(column):
        column = _parsed(column)
    if pa.types.is_timestamp(column.type) and column.type.unit in FINER_THAN_MICROSECONDS:
        column = pc.floor_temporal(column, unit="microsecond")
    # A zoned arrow timestamp holds the UTC instant: dropping the zone leaves UTC wall time.
    return column.cast(target)


def _parsed(column: pa.Array) -> pa.Array:
    import pandas as pd  # pandas parses the common ISO variants arrow's strptime does not

    # utc=True: offsets are applied and values without one are read as UTC (one zone for the column,
    # so mixed offsets do not raise).
    parsed = pd.to_datetime(column.to_pandas(), errors="coerce", format="ISO8601", utc=True)
    return pa.array(parsed.dt.tz_convert(None))
