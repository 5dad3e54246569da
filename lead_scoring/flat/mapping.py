"""The mapping file: how one flat CRM export (one row per lead) becomes a lead-scoring source.

A small YAML file per export says which column is the lead id, which is the
outcome and which values of it mean "converted", which columns must never be
features (personal data, columns filled in after the outcome), which tokens
mean "missing" and how categories are normalised. Nothing in the code knows a
particular export: a new one needs a new mapping, not new code.
See ``examples/mappings/x_education.yml`` for a worked example.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lead_scoring.errors import LeadScoringError
from lead_scoring.flat.parsing import NumberFormat

CASES = ("lower", "upper", "keep")
KNOWN_KEYS = {
    "name", "path", "id_column", "label", "timestamp", "missing_tokens", "drop", "pii", "post_outcome",
    "normalise", "csv", "types", "number_format", "leakage_allow", "max_quarantine_share", "split_seed", "description",
}
FEATURE_TYPES = ("numeric", "categorical", "boolean")


class MappingError(LeadScoringError):
    pass


@dataclass(frozen=True)
class LabelSpec:
    column: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]


@dataclass(frozen=True)
class TimestampSpec:
    column: str
    format: str | None = None


@dataclass(frozen=True)
class CsvSpec:
    delimiter: str = ","
    quote: str = '"'
    encoding: str = "auto"  # "auto": UTF-8 if the file decodes as UTF-8, else cp1252 / latin-1


@dataclass(frozen=True)
class Mapping:
    name: str
    source_file: Path  # the mapping file itself, for messages
    path: Path | None
    id_column: str | None  # None: the export has no id; leads are numbered by their row in the file
    label: LabelSpec
    timestamp: TimestampSpec | None = None
    missing_tokens: tuple[str, ...] = ("",)
    drop: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()
    post_outcome: tuple[str, ...] = ()
    case: str = "lower"
    collapse_whitespace: bool = True
    csv: CsvSpec = CsvSpec()
    types: dict[str, str] = field(default_factory=dict)
    number_format: NumberFormat | None = None  # thousands separator, decimal mark, currency signs of numeric columns
    leakage_allow: tuple[str, ...] = ()
    max_quarantine_share: float = 0.05
    split_seed: int = 7
    digest: str = ""

    @property
    def reserved(self) -> set[str]:
        """Columns that are never features."""
        return {*self.id_columns, self.label.column, *self.drop, *self.pii, *self.post_outcome} | (
            {self.timestamp.column} if self.timestamp else set()
        )

    @property
    def id_columns(self) -> list[str]:
        return [self.id_column] if self.id_column is not None else []

    def referenced_columns(self) -> list[str]:
        """Every export column the mapping names: each must be in the file."""
        named = [*self.id_columns, self.label.column, *self.drop, *self.pii, *self.post_outcome, *self.types]
        return named + ([self.timestamp.column] if self.timestamp else [])


def text_list(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float, bool)):
        value = [value]
    if not isinstance(value, list) or any(not isinstance(v, (str, int, float)) for v in value):
        raise MappingError(f"{where} must be a list of texts, got {type(value).__name__}")
    if any(isinstance(v, bool) for v in value):  # YAML reads bare yes / no / on / off as booleans
        raise MappingError(f"{where}: {value!r} holds a YAML boolean; quote the values, e.g. ['yes'] or ['no']")
    return tuple(str(v) for v in value)


def _label(raw, source: Path) -> LabelSpec:
    if not isinstance(raw, dict) or "column" not in raw:
        raise MappingError(f"{source}: `label` needs `column`, `positive` and `negative` (e.g. positive: [Won])")
    positive, negative = text_list(raw.get("positive"), f"{source}: label.positive"), text_list(raw.get("negative"), f"{source}: label.negative")
    if not positive or not negative:
        raise MappingError(f"{source}: label.positive and label.negative must each list at least one value")
    if set(positive) & set(negative):
        raise MappingError(f"{source}: values {sorted(set(positive) & set(negative))} are both positive and negative")
    return LabelSpec(text_value(raw["column"], f"{source}: label.column"), positive, negative)


def _section(raw: dict, key: str, source: Path) -> dict:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise MappingError(f"{source}: `{key}` must be a mapping of keys, got {type(value).__name__}")
    return value


def text_value(value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MappingError(f"{where} must be a text, got {type(value).__name__}")
    return str(value)


def _share(value, where: str) -> float:
    try:
        share = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        share = None
    if share is None or not 0 <= share <= 1:
        raise MappingError(f"{where} is {value!r}: expected a share between 0 and 1, e.g. 0.05")
    return share


def _seed(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MappingError(f"{where} is {value!r}: expected a whole number of at least 0, e.g. 7")
    return value


def _csv(raw: dict, source: Path) -> CsvSpec:
    spec = CsvSpec(*(text_value(raw.get(key, default), f"{source}: csv.{key}") for key, default in
                     (("delimiter", ","), ("quote", '"'), ("encoding", "auto"))))
    for key in ("delimiter", "quote"):
        value = getattr(spec, key)
        if len(value) != 1 or value in "\r\n":
            raise MappingError(f"{source}: csv.{key} is {value!r}: it must be one character (not a line break), e.g. ';' or '\\t'")
    if spec.delimiter == spec.quote:
        raise MappingError(f"{source}: csv.delimiter and csv.quote are both {spec.delimiter!r}")
    return spec


def _timestamp(raw, source: Path) -> TimestampSpec | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict) or "column" not in raw:
        raise MappingError(f"{source}: `timestamp` must be a column name or {{column: ..., format: '%Y-%m-%d'}}")
    fmt = raw.get("format")
    return TimestampSpec(text_value(raw["column"], f"{source}: timestamp.column"), None if fmt is None else text_value(fmt, f"{source}: timestamp.format"))


def _read_text(source: Path) -> str:
    if not source.is_file():
        raise MappingError(f"mapping file {source} not found" if not source.exists() else f"mapping {source} is not a file")
    try:
        return source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise MappingError(f"{source} is not UTF-8 text (byte {error.start} does not decode): save the mapping as UTF-8") from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(source: Path) -> tuple[str, dict]:
    """A mapping file's text and its keys: UTF-8, safe YAML, no key twice, a mapping at the top."""
    text = _read_text(source)
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as error:
        raise MappingError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise MappingError(f"{source}: expected a mapping of keys, got {type(raw).__name__}")
    return text, raw


def _one_role_each(mapping: Mapping) -> None:
    """A column has one role: the id, the label, the timestamp, dropped, personal data or post-outcome."""
    roles: dict[str, list[str]] = {}
    single = {"id_column": mapping.id_columns, "label.column": [mapping.label.column],
              "timestamp": [mapping.timestamp.column] if mapping.timestamp else []}
    for role, columns in {**single, "drop": mapping.drop, "pii": mapping.pii, "post_outcome": mapping.post_outcome}.items():
        for column in dict.fromkeys(columns):
            roles.setdefault(column, []).append(role)
    clashes = {column: named for column, named in roles.items() if len(named) > 1}
    if clashes:
        raise MappingError(f"{mapping.source_file}: a column can have one role only, but " + "; ".join(
            f"{column!r} is named in {' and '.join(named)}" for column, named in clashes.items()))


def load_mapping(mapping_file: Path, path_override: Path | None = None) -> Mapping:
    """Read and check a mapping file; every problem is reported with the file and the key."""
    source = Path(mapping_file)
    text, raw = read_yaml(source)
    unknown = sorted(map(str, set(raw) - KNOWN_KEYS))
    if unknown:
        raise MappingError(f"{source}: unknown keys {unknown} (known: {sorted(KNOWN_KEYS)})")
    for key in ("name", "id_column", "label"):
        if key not in raw:
            hint = " (`id_column: null` when the export has no id: its rows are numbered)" if key == "id_column" else ""
            raise MappingError(f"{source}: `{key}` is required{hint}")
    name = text_value(raw["name"], f"{source}: name")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise MappingError(f"{source}: name {name!r} must be lower-case letters, digits and _ (it names warehouse tables)")
    normalise = _section(raw, "normalise", source)
    case = str(normalise.get("case", "lower"))
    if case not in CASES:
        raise MappingError(f"{source}: normalise.case is {case!r}, expected one of {CASES}")
    types = {text_value(k, f"{source}: types"): str(v) for k, v in _section(raw, "types", source).items()}
    bad_types = {k: v for k, v in types.items() if v not in FEATURE_TYPES}
    if bad_types:
        raise MappingError(f"{source}: types {bad_types} must be one of {FEATURE_TYPES}")
    path = Path(path_override) if path_override else raw.get("path")
    if path is not None:
        path = path if isinstance(path, Path) else Path(text_value(path, f"{source}: path"))
        path = path if path.is_absolute() else source.parent / path  # a relative path is relative to the mapping file
    mapping = Mapping(
        name=name,
        source_file=source,
        path=path,
        id_column=None if raw["id_column"] is None else text_value(raw["id_column"], f"{source}: id_column"),
        label=_label(raw["label"], source),
        timestamp=_timestamp(raw.get("timestamp"), source),
        missing_tokens=text_list(raw.get("missing_tokens", [""]), f"{source}: missing_tokens"),
        drop=text_list(raw.get("drop"), f"{source}: drop"),
        pii=text_list(raw.get("pii"), f"{source}: pii"),
        post_outcome=text_list(raw.get("post_outcome"), f"{source}: post_outcome"),
        case=case,
        collapse_whitespace=bool(normalise.get("whitespace", True)),
        csv=_csv(_section(raw, "csv", source), source),
        types=types,
        number_format=NumberFormat.from_mapping(raw["number_format"], source) if raw.get("number_format") is not None else None,
        leakage_allow=text_list(raw.get("leakage_allow"), f"{source}: leakage_allow"),
        max_quarantine_share=_share(raw.get("max_quarantine_share", 0.05), f"{source}: max_quarantine_share"),
        split_seed=_seed(raw.get("split_seed", 7), f"{source}: split_seed"),
        digest=hashlib.sha256(text.encode()).hexdigest()[:16],
    )
    _one_role_each(mapping)
    return mapping
