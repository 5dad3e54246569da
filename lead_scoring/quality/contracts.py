"""The source contract: a landed file must have the columns and types of ``simulator/schema.py``.

Checked before anything of the day is loaded, so an upstream rename, drop or
retype stops ingestion with an error that names the file, table and column,
and earlier days stay as they were. A file must also decode: its footer (the
schema) can be intact while its data pages are not, so every page is read and,
when the writer stored page checksums, verified. Timestamps may arrive as text
(as CSV-born extracts often do), zoned or finer than microseconds: they are
brought to the contract by ``timestamps``, and values that do not parse are
quarantined row by row rather than failing the file.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lead_scoring.errors import LeadScoringError
from lead_scoring.quality import timestamps

READ_ERRORS = (OSError, pa.ArrowException)


class SourceFileError(LeadScoringError):
    """The file cannot be read at all (corrupt, empty, not Parquet)."""


class ContractViolation(LeadScoringError):
    """The file reads, but its columns break the source contract."""


def read_landed_file(path: Path, table: str) -> pa.Table:
    """Every row of the file, its pages decoded and checked (``full`` validation catches bad UTF-8 and offsets)."""
    try:
        data = pq.read_table(path, page_checksum_verification=True)
        data.validate(full=True)
    except READ_ERRORS as error:
        raise SourceFileError(f"raw.{table}: landed file {path} cannot be read as Parquet{_where_broken(path)}: {error}") from error
    return data


def _where_broken(path: Path) -> str:
    """The first row group and column that fail to decode, read one by one (only once the file has failed)."""
    try:
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
    except READ_ERRORS:
        return ""  # the footer itself is broken: there are no row groups to name
    for group in range(parquet.num_row_groups):
        for column in parquet.schema_arrow.names:
            try:
                parquet.read_row_group(group, columns=[column]).validate(full=True)
            except READ_ERRORS:
                return f" (column {column!r}, row group {group} of {parquet.num_row_groups})"
    return ""


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
    """What is wrong with a landed file (None if nothing).

    The rows are read, not only the schema: ``read_schema`` succeeds on a file
    whose data pages are corrupt, and the preflight is the promise that every
    file reads before anything is written.
    """
    try:
        schema = read_landed_file(path, table).schema
    except SourceFileError as error:
        return str(error)
    found = violations(schema, contract)
    return f"raw.{table}: {path} breaks the source contract: " + "; ".join(found) if found else None


def check_contract(data: pa.Table, contract: pa.Schema, table: str, path: Path) -> None:
    found = violations(data.schema, contract)
    if found:
        raise ContractViolation(f"raw.{table}: {path} breaks the source contract: " + "; ".join(found))


def conform(data: pa.Table, contract: pa.Schema, table: str, path: Path) -> tuple[pa.Table, dict[str, pa.Array]]:
    """Cast to the contract's types, in its column order.

    Returns the table and, per timestamp column that arrived as text, a boolean
    mask of the rows whose value did not parse (they go to quarantine). A value
    the contract's type cannot hold (an integer beyond a double's exact range,
    say) stops the file with an error naming the column.
    """
    columns, unparseable = [], {}
    for field in contract:
        column = data.column(field.name).combine_chunks()
        try:
            if pa.types.is_timestamp(field.type):
                converted = timestamps.to_contract(column, field.type)
                if timestamps.is_text(column):
                    unparseable[field.name] = pc.and_(pc.is_valid(column), pc.is_null(converted))
                column = converted
            columns.append(column.cast(field.type))
        except pa.ArrowException as error:
            raise ContractViolation(f"raw.{table}: {path}: column {field.name!r} cannot be held as {field.type}: {error}") from error
    return pa.table(columns, schema=contract), unparseable
