"""The source contract: a landed file must have the columns and types of ``simulator/schema.py``.

Checked before anything of the day is loaded, so an upstream rename, drop or
retype stops ingestion with an error that names the file, table and column,
and earlier days stay as they were. Timestamps may arrive as text (as CSV-born
extracts often do): they are parsed, and values that do not parse are
quarantined row by row rather than failing the file.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lead_scoring.errors import LeadScoringError


class SourceFileError(LeadScoringError):
    """The file cannot be read at all (corrupt, empty, not Parquet)."""


class ContractViolation(LeadScoringError):
    """The file reads, but its columns break the source contract."""


def read_landed_file(path: Path, table: str) -> pa.Table:
    try:
        data = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise SourceFileError(f"raw.{table}: landed file {path} cannot be read as Parquet: {error}") from error
    return data


def _acceptable(actual: pa.DataType, expected: pa.DataType) -> bool:
    if actual.equals(expected) or pa.types.is_null(actual):  # some writers type an all-null column as null
        return True
    if pa.types.is_timestamp(expected):
        return pa.types.is_timestamp(actual) or pa.types.is_string(actual) or pa.types.is_large_string(actual)
    if pa.types.is_string(expected):
        return pa.types.is_large_string(actual)
    if pa.types.is_floating(expected):
        return pa.types.is_floating(actual) or pa.types.is_integer(actual)
    return False


def violations(schema: pa.Schema, contract: pa.Schema) -> list[str]:
    """Human-readable contract breaches (empty when the file conforms)."""
    found = []
    actual = {field.name: field.type for field in schema}
    missing = [f.name for f in contract if f.name not in actual]
    extra = [name for name in actual if name not in contract.names]
    for name in missing:
        hint = f" (renamed to {extra[0]!r}?)" if len(missing) == 1 and len(extra) == 1 else ""
        found.append(f"column {name!r} is missing{hint}")
    for name in extra:
        found.append(f"unexpected column {name!r}")
    for field in contract:
        if field.name in actual and not _acceptable(actual[field.name], field.type):
            found.append(f"column {field.name!r} has type {actual[field.name]}, expected {field.type}")
    return found


def file_problem(path: Path, table: str, contract: pa.Schema) -> str | None:
    """What is wrong with a landed file's schema, read without loading its rows (None if nothing)."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        return f"raw.{table}: landed file {path} cannot be read as Parquet: {error}"
    found = violations(schema, contract)
    return f"raw.{table}: {path} breaks the source contract: " + "; ".join(found) if found else None


def check_contract(data: pa.Table, contract: pa.Schema, table: str, path: Path) -> None:
    found = violations(data.schema, contract)
    if found:
        raise ContractViolation(f"raw.{table}: {path} breaks the source contract: " + "; ".join(found))


def conform(data: pa.Table, contract: pa.Schema) -> tuple[pa.Table, dict[str, pa.Array]]:
    """Cast to the contract's types, in its column order.

    Returns the table and, per timestamp column that arrived as text, a boolean
    mask of the rows whose value did not parse (they go to quarantine).
    """
    columns, unparseable = [], {}
    for field in contract:
        column = data.column(field.name).combine_chunks()
        if pa.types.is_timestamp(field.type) and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            parsed = _parse_timestamps(column, field.type)
            unparseable[field.name] = pc.and_(pc.is_valid(column), pc.is_null(parsed))
            column = parsed
        columns.append(column.cast(field.type))
    return pa.table(columns, schema=contract), unparseable


def _parse_timestamps(column: pa.Array, target: pa.DataType) -> pa.Array:
    import pandas as pd  # pandas parses the common ISO variants arrow's strptime does not

    parsed = pd.to_datetime(column.to_pandas(), errors="coerce", format="ISO8601")
    return pa.array(parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed, type=target)
