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

CASES = ("lower", "upper", "keep")
KNOWN_KEYS = {
    "name", "path", "id_column", "label", "timestamp", "missing_tokens", "drop", "pii", "post_outcome",
    "normalise", "csv", "types", "leakage_allow", "max_quarantine_share", "split_seed", "description",
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
    id_column: str
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
    leakage_allow: tuple[str, ...] = ()
    max_quarantine_share: float = 0.05
    split_seed: int = 7
    digest: str = ""

    @property
    def reserved(self) -> set[str]:
        """Columns that are never features."""
        return {self.id_column, self.label.column, *self.drop, *self.pii, *self.post_outcome} | (
            {self.timestamp.column} if self.timestamp else set()
        )

    def referenced_columns(self) -> list[str]:
        """Every export column the mapping names: each must be in the file."""
        named = [self.id_column, self.label.column, *self.drop, *self.pii, *self.post_outcome, *self.types]
        return named + ([self.timestamp.column] if self.timestamp else [])


def _strings(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, int, float, bool)):
        value = [value]
    if not isinstance(value, list):
        raise MappingError(f"{where} must be a list of strings, got {value!r}")
    if any(isinstance(v, bool) for v in value):  # YAML reads bare yes / no / on / off as booleans
        raise MappingError(f"{where}: {value!r} holds a YAML boolean; quote the values, e.g. ['yes'] or ['no']")
    return tuple(str(v) for v in value)


def _label(raw, source: Path) -> LabelSpec:
    if not isinstance(raw, dict) or "column" not in raw:
        raise MappingError(f"{source}: `label` needs `column`, `positive` and `negative` (e.g. positive: [Won])")
    positive, negative = _strings(raw.get("positive"), f"{source}: label.positive"), _strings(raw.get("negative"), f"{source}: label.negative")
    if not positive or not negative:
        raise MappingError(f"{source}: label.positive and label.negative must each list at least one value")
    if set(positive) & set(negative):
        raise MappingError(f"{source}: values {sorted(set(positive) & set(negative))} are both positive and negative")
    return LabelSpec(str(raw["column"]), positive, negative)


def load_mapping(mapping_file: Path, path_override: Path | None = None) -> Mapping:
    """Read and check a mapping file; every problem is reported with the file and the key."""
    source = Path(mapping_file)
    if not source.exists():
        raise MappingError(f"mapping file {source} not found")
    text = source.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise MappingError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise MappingError(f"{source}: expected a mapping of keys, got {type(raw).__name__}")
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise MappingError(f"{source}: unknown keys {unknown} (known: {sorted(KNOWN_KEYS)})")
    for key in ("name", "id_column", "label"):
        if key not in raw:
            raise MappingError(f"{source}: `{key}` is required")
    name = str(raw["name"])
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise MappingError(f"{source}: name {name!r} must be lower-case letters, digits and _ (it names warehouse tables)")
    normalise = raw.get("normalise") or {}
    case = str(normalise.get("case", "lower"))
    if case not in CASES:
        raise MappingError(f"{source}: normalise.case is {case!r}, expected one of {CASES}")
    csv = raw.get("csv") or {}
    timestamp = raw.get("timestamp")
    if isinstance(timestamp, str):
        timestamp = {"column": timestamp}
    types = {str(k): str(v) for k, v in (raw.get("types") or {}).items()}
    bad_types = {k: v for k, v in types.items() if v not in FEATURE_TYPES}
    if bad_types:
        raise MappingError(f"{source}: types {bad_types} must be one of {FEATURE_TYPES}")
    path = path_override or raw.get("path")
    if path is not None and not Path(path).is_absolute():
        path = source.parent / path  # a relative path is relative to the mapping file
    return Mapping(
        name=name,
        source_file=source,
        path=Path(path) if path is not None else None,
        id_column=str(raw["id_column"]),
        label=_label(raw["label"], source),
        timestamp=TimestampSpec(str(timestamp["column"]), timestamp.get("format")) if timestamp else None,
        missing_tokens=_strings(raw.get("missing_tokens", [""]), f"{source}: missing_tokens"),
        drop=_strings(raw.get("drop"), f"{source}: drop"),
        pii=_strings(raw.get("pii"), f"{source}: pii"),
        post_outcome=_strings(raw.get("post_outcome"), f"{source}: post_outcome"),
        case=case,
        collapse_whitespace=bool(normalise.get("whitespace", True)),
        csv=CsvSpec(str(csv.get("delimiter", ",")), str(csv.get("quote", '"')), str(csv.get("encoding", "auto"))),
        types=types,
        leakage_allow=_strings(raw.get("leakage_allow"), f"{source}: leakage_allow"),
        max_quarantine_share=float(raw.get("max_quarantine_share", 0.05)),
        split_seed=int(raw.get("split_seed", 7)),
        digest=hashlib.sha256(text.encode()).hexdigest()[:16],
    )
