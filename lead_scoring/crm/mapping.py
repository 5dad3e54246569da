"""The source mapping: how a CRM's own tables become the product's raw contract.

One YAML file per source says, for each product table (``leads``,
``activities``, ``conversions``, ``consents``, ``campaigns``), where its rows
come from (a file, a folder of daily deliveries, or a table the team's
extract-load tool already syncs into the warehouse), which source column holds
each contract column, and how the source's words map to the product's: its
activity type names to the activity groups the features count (anything else
is ``other``), its deal stages to "converted", its category labels to the
product's values. Nothing in the code knows a particular CRM: a new one needs a
mapping, not SQL. Worked examples: ``examples/mappings/crm_*.yml``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lead_scoring.flat.mapping import MappingError, read_yaml, text_list, text_value
from lead_scoring.simulator.schema import ACTIVITY_TYPES, OTHER_ACTIVITY, RAW_TABLES

REQUIRED_TABLES = ("leads", "activities", "conversions")  # conversions: a table, or a status and date on leads
TABLE_KEYS = {"from", "columns", "values", "types", "stage", "conversion"}
KNOWN_KEYS = {"name", "description", "tables"}
FORMATS = ("csv", "parquet")
# Contract columns a table must map; the rest may be left out (null in every row).
REQUIRED_COLUMNS = {
    "leads": ("lead_id", "created_at"),
    "activities": ("activity_id", "lead_id", "occurred_at", "activity_type"),
    "conversions": ("lead_id", "converted_at"),
    "consents": ("lead_id", "ml_processing_allowed", "changed_at"),
    "campaigns": ("campaign_id",),
}
WAREHOUSE_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*")


@dataclass(frozen=True)
class Origin:
    """Where a table's rows come from; exactly one of ``file``, ``folder``, ``table`` is set."""

    file: Path | None = None
    folder: Path | None = None
    table: str | None = None  # schema.table in the warehouse
    format: str = "csv"
    delimiter: str = ","
    landed_at: str | None = None  # with ``table``: the sync-time column whose date is the landing day
    landed: date | None = None  # with ``file``: its landing day (default: the day it is landed)

    def describe(self) -> str:
        return str(self.file or self.folder or f"warehouse table {self.table}")


@dataclass(frozen=True)
class StageRule:
    """Deal rows: only those whose ``column`` holds one of ``won`` are conversions."""

    column: str
    won: tuple[str, ...]


@dataclass(frozen=True)
class StatusConversion:
    """A conversion kept on the leads table itself: a status column and the date it turned."""

    status: str
    converted: tuple[str, ...]
    at: str
    amount: str | None = None


@dataclass(frozen=True)
class TableMapping:
    table: str  # the product's table
    origin: Origin
    columns: dict[str, str]  # contract column -> source column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # contract column -> {source value: product value}
    types: dict[str, str] = field(default_factory=dict)  # activities: source type -> product activity group
    stage: StageRule | None = None
    conversion: StatusConversion | None = None

    def source_columns(self) -> list[str]:
        """Every source column the mapping names: each must be in every delivery."""
        named = list(self.columns.values())
        if self.stage:
            named.append(self.stage.column)
        if self.conversion:
            named += [self.conversion.status, self.conversion.at] + ([self.conversion.amount] if self.conversion.amount else [])
        if self.origin.landed_at:
            named.append(self.origin.landed_at)
        return list(dict.fromkeys(named))


@dataclass(frozen=True)
class SourceMapping:
    name: str
    source_file: Path
    tables: dict[str, TableMapping]
    digest: str

    def where(self, table: str) -> str:
        return f"{self.source_file}: tables.{table}"


def _origin(raw, where: str, base: Path) -> Origin:
    if isinstance(raw, str):
        raw = {"folder" if not Path(raw).suffix else "file": raw}
    if not isinstance(raw, dict):
        raise MappingError(f"{where}.from must be {{file: ...}}, {{folder: ...}} or {{table: schema.table, landed_at: ...}}")
    unknown = sorted(map(str, set(raw) - {"file", "folder", "table", "format", "delimiter", "landed_at", "landed"}))
    if unknown:
        raise MappingError(f"{where}.from: unknown keys {unknown}")
    given = [key for key in ("file", "folder", "table") if raw.get(key) is not None]
    if len(given) != 1:
        raise MappingError(f"{where}.from needs exactly one of file, folder or table, got {given or 'none'}")
    path = lambda key: (lambda p: p if p.is_absolute() else base / p)(Path(text_value(raw[key], f"{where}.from.{key}")))
    table = text_value(raw["table"], f"{where}.from.table") if "table" in given else None
    if table is not None and not WAREHOUSE_TABLE.fullmatch(table):
        raise MappingError(f"{where}.from.table is {table!r}: expected schema.table (letters, digits, _ and $)")
    if table is not None and raw.get("landed_at") is None:
        raise MappingError(f"{where}.from.landed_at is required with a table: the column your sync tool stamps each row "
                           "with (e.g. _fivetran_synced, _airbyte_extracted_at); its date is the row's landing day")
    default_format = "parquet" if "file" in given and str(raw["file"]).endswith(".parquet") else "csv"
    fmt = text_value(raw.get("format", default_format), f"{where}.from.format")
    if fmt not in FORMATS:
        raise MappingError(f"{where}.from.format is {fmt!r}, expected one of {FORMATS}")
    delimiter = text_value(raw.get("delimiter", ","), f"{where}.from.delimiter")
    if len(delimiter) != 1 or delimiter in "\r\n\"":
        raise MappingError(f"{where}.from.delimiter is {delimiter!r}: one character, not a quote or line break")
    landed = raw.get("landed")
    if landed is not None and not isinstance(landed, date):
        raise MappingError(f"{where}.from.landed is {landed!r}: expected a date, e.g. 2026-01-31")
    return Origin(
        file=path("file") if "file" in given else None, folder=path("folder") if "folder" in given else None, table=table,
        format=fmt, delimiter=delimiter,
        landed_at=text_value(raw["landed_at"], f"{where}.from.landed_at") if raw.get("landed_at") is not None else None,
        landed=landed,
    )


def _pairs(raw, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MappingError(f"{where} must be a mapping, got {type(raw).__name__}")
    if any(isinstance(k, bool) for k in raw):
        raise MappingError(f"{where} has a YAML boolean as a key (bare yes / no / on / off): quote it")
    return {text_value(k, where): str(v).lower() if isinstance(v, bool) else text_value(v, where) for k, v in raw.items()}


def _table(name: str, raw, source: Path, base: Path) -> TableMapping:
    where = f"{source}: tables.{name}"
    if not isinstance(raw, dict):
        raise MappingError(f"{where} must be a mapping with `from` and `columns`")
    unknown = sorted(map(str, set(raw) - TABLE_KEYS))
    if unknown:
        raise MappingError(f"{where}: unknown keys {unknown} (known: {sorted(TABLE_KEYS)})")
    if "from" not in raw:
        raise MappingError(f"{where}.from is required: a file, a folder of daily deliveries or a warehouse table")
    contract = RAW_TABLES[name].names
    columns = _pairs(raw.get("columns"), f"{where}.columns")
    outside = sorted(set(columns) - set(contract))
    if outside:
        raise MappingError(f"{where}.columns: {outside} are not columns of the product's {name} table (they are: {list(contract)})")
    stage = raw.get("stage")
    conversion = raw.get("conversion")
    required = [c for c in REQUIRED_COLUMNS[name] if c not in columns]
    if name == "activities" and "activity_id" in required:
        required.remove("activity_id")  # no id: one is derived from the row's content
    if required:
        raise MappingError(f"{where}.columns must map {required} (product column: source column)")
    values = {column: _pairs(pairs, f"{where}.values.{column}") for column, pairs in (raw.get("values") or {}).items()}
    if set(values) - set(contract):
        raise MappingError(f"{where}.values: {sorted(set(values) - set(contract))} are not columns of the product's {name} table")
    types = _pairs(raw.get("types"), f"{where}.types")
    unknown_groups = sorted(set(types.values()) - set(ACTIVITY_TYPES) - {OTHER_ACTIVITY})
    if unknown_groups:
        raise MappingError(f"{where}.types maps to {unknown_groups}, which are not activity groups the product counts: "
                           f"{[*ACTIVITY_TYPES, OTHER_ACTIVITY]}")
    if types and name != "activities":
        raise MappingError(f"{where}.types is for the activities table only")
    return TableMapping(
        table=name, origin=_origin(raw["from"], where, base), columns=columns, values=values, types=types,
        stage=_stage(stage, where) if stage is not None else None,
        conversion=_status_conversion(conversion, where) if conversion is not None else None,
    )


def _stage(raw, where: str) -> StageRule:
    if not isinstance(raw, dict) or "column" not in raw or not raw.get("won"):
        raise MappingError(f"{where}.stage needs `column` and `won` (the stages that mean converted, e.g. [Closed Won])")
    return StageRule(text_value(raw["column"], f"{where}.stage.column"), text_list(raw["won"], f"{where}.stage.won"))


def _status_conversion(raw, where: str) -> StatusConversion:
    if not isinstance(raw, dict) or not {"status", "converted", "at"} <= set(raw):
        raise MappingError(f"{where}.conversion needs `status`, `converted` (its values that mean converted) and `at` (the date column)")
    return StatusConversion(text_value(raw["status"], f"{where}.conversion.status"), text_list(raw["converted"], f"{where}.conversion.converted"),
                            text_value(raw["at"], f"{where}.conversion.at"),
                            text_value(raw["amount"], f"{where}.conversion.amount") if raw.get("amount") is not None else None)


def load_source_mapping(mapping_file: Path, root: Path | None = None) -> SourceMapping:
    """Read and check a source mapping; every problem is reported with the file and the key.

    Relative paths in ``from`` start at ``root``, by default the mapping file's folder."""
    source = Path(mapping_file)
    text, raw = read_yaml(source)
    unknown = sorted(map(str, set(raw) - KNOWN_KEYS))
    if unknown:
        raise MappingError(f"{source}: unknown keys {unknown} (known: {sorted(KNOWN_KEYS)})")
    name = text_value(raw.get("name", ""), f"{source}: name")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise MappingError(f"{source}: name {name!r} must be lower-case letters, digits and _")
    tables_raw = raw.get("tables")
    if not isinstance(tables_raw, dict):
        raise MappingError(f"{source}: `tables` is required: leads, activities and conversions at least")
    unknown_tables = sorted(map(str, set(tables_raw) - set(RAW_TABLES)))
    if unknown_tables:
        raise MappingError(f"{source}: tables {unknown_tables} are not product tables (they are: {list(RAW_TABLES)})")
    base = Path(root) if root is not None else source.parent
    tables = {name_: _table(name_, raw_table, source, base) for name_, raw_table in tables_raw.items()}
    missing = [t for t in REQUIRED_TABLES if t not in tables and t != "conversions"]
    if missing:
        raise MappingError(f"{source}: tables {missing} are required")
    on_leads = tables["leads"].conversion is not None
    if on_leads == ("conversions" in tables):
        raise MappingError(f"{source}: map conversions once: a `conversions` table, or `conversion` (status and date) on the leads table")
    if any(t.conversion for name_, t in tables.items() if name_ != "leads"):
        raise MappingError(f"{source}: `conversion` (status and date) belongs on the leads table")
    return SourceMapping(name, source, tables, hashlib.sha256(text.encode()).hexdigest()[:16])
