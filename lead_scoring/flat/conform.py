"""From the export's text to typed, normalised rows, and quarantined rows with their reason.

Per column: whitespace trimmed and collapsed, case folded (so ``Google`` and
``google`` are one category), the mapping's missing tokens (``Select``...)
turned into nulls, then a type inferred (boolean, numeric, categorical) unless
the mapping sets one. A row is quarantined, with every value as it was in the
file, when its id is missing, its id repeats with other values, its label is
outside the declared values, its timestamp or a numeric value does not parse,
or its line had the wrong number of fields. A missing label is not an error:
it is a lead without an outcome yet, scored but not trained on.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lead_scoring.errors import LeadScoringError
from lead_scoring.flat.literal import internal_names
from lead_scoring.flat.mapping import Mapping
from lead_scoring.flat.parsing import NumberFormat, numeric_with_separators, parse_numbers, parse_timestamps
from lead_scoring.flat.reader import RawExport

BOOLEAN_VALUES = {"yes": True, "no": False, "true": True, "false": False, "y": True, "n": False}
NUMERIC_SHARE = 0.98  # a column is numeric when at least this share of its values are numbers
ROW = "_row"
ROW_ID, ROW_ID_ORIGINAL = "_row_id", "(row number)"  # the id of an export without one (mapping: id_column: null)


class ExportContentError(LeadScoringError):
    """The export reads, but cannot be used: a mapped column is missing, or too many rows are bad."""


@dataclass
class ColumnSpec:
    original: str
    name: str  # the warehouse name (literal.internal_names); `original` is shown wherever people read it
    role: str  # id, label, timestamp, feature, pii, post_outcome
    feature_type: str | None = None
    null_share: float = 0.0
    distinct: int = 0
    excluded: str | None = None  # why a would-be feature is not one (constant, leakage)
    note: str | None = None  # what the mapping could say to read the column better (numbers with separators)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ConformedExport:
    valid: pa.Table
    quarantined: pa.Table
    columns: list[ColumnSpec]

    def by_role(self, role: str) -> list[ColumnSpec]:
        return [c for c in self.columns if c.role == role]


def normalise_text(values: pa.ChunkedArray, case: str, collapse: bool) -> pa.ChunkedArray:
    values = pc.utf8_trim_whitespace(values)
    if collapse:
        values = pc.replace_substring_regex(values, r"\s+", " ")
    if case == "lower":
        values = pc.utf8_lower(values)
    elif case == "upper":
        values = pc.utf8_upper(values)
    return values


def _with_missing(values: pa.ChunkedArray, tokens: pa.Array) -> pa.ChunkedArray:
    return pc.if_else(pc.is_in(values, value_set=tokens), pa.scalar(None, pa.string()), values)


def infer_type(values: pa.ChunkedArray, number_format: NumberFormat | None = None) -> str:
    present = pc.drop_null(values)
    if len(present) == 0:
        return "categorical"
    distinct = set(pc.unique(pc.utf8_lower(present)).to_pylist())
    if distinct <= set(BOOLEAN_VALUES):
        return "boolean"
    numbers = len(present) - (pc.sum(parse_numbers(present, number_format).bad).as_py() or 0)
    return "numeric" if numbers >= NUMERIC_SHARE * len(present) else "categorical"


def _typed(values: pa.ChunkedArray, feature_type: str, number_format: NumberFormat | None) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
    """Typed values and, for numbers, where a present value did not parse."""
    if feature_type == "categorical":
        return values, None
    if feature_type == "boolean":
        lowered = pc.utf8_lower(values)
        keys = pa.array(list(BOOLEAN_VALUES))
        flags = pa.array(list(BOOLEAN_VALUES.values()), pa.bool_())
        index = pc.index_in(lowered, value_set=keys)
        typed = pc.take(flags, index)
        return pc.cast(typed, pa.float64()), pc.and_(pc.is_valid(values), pc.is_null(index))
    numbers = parse_numbers(values, number_format)
    return numbers.values, numbers.bad


def _normalised_tokens(tokens: tuple[str, ...], mapping: Mapping) -> pa.Array:
    """Declared values (labels, missing tokens) normalised like the data they are compared with."""
    return normalise_text(pa.chunked_array([pa.array(list(tokens), pa.string())]), mapping.case, mapping.collapse_whitespace).combine_chunks()


def _label(values: pa.ChunkedArray, mapping: Mapping) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    positive, negative = _normalised_tokens(mapping.label.positive, mapping), _normalised_tokens(mapping.label.negative, mapping)
    is_positive, is_negative = pc.is_in(values, value_set=positive), pc.is_in(values, value_set=negative)
    coded = pc.if_else(is_positive, 1, pc.if_else(is_negative, 0, pa.scalar(None, pa.int64())))
    outside = pc.and_(pc.is_valid(values), pc.is_null(coded))
    return pc.cast(coded, pa.int8()), outside


def _timestamp(values: pa.ChunkedArray, mapping: Mapping, path) -> tuple[pa.Array, list[tuple[str, pa.Array]]]:
    """One format for the whole column (the mapping's, or the one inferred): values that do not fit it are quarantined."""
    column = mapping.timestamp.column
    try:
        parsed = parse_timestamps(values, mapping.timestamp.format, column)
    except LeadScoringError as error:
        raise ExportContentError(f"{path}: {error}") from None
    return parsed.values, [(f"missing timestamp {column!r}", pc.is_null(values)), *parsed.reasons]


def _duplicate_ids(ids: pa.ChunkedArray, text: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Repeats of an identical row (quarantined, the first copy kept) and conflicting rows of one id (all quarantined)."""
    key = pd.Series(ids.to_numpy(zero_copy_only=False))
    repeated = key.duplicated(keep=False) & key.notna()
    copy, conflict = np.zeros(len(key), bool), np.zeros(len(key), bool)
    if not repeated.any():
        return copy, conflict
    candidates = text.filter(pa.array(repeated.to_numpy())).to_pandas()  # only the rows whose id repeats
    row_hash = pd.util.hash_pandas_object(candidates, index=False)
    kinds = row_hash.groupby(key[repeated].to_numpy()).nunique()
    conflicting_ids = set(kinds[kinds > 1].index)
    is_conflict = key[repeated].isin(conflicting_ids).to_numpy()
    conflict[np.flatnonzero(repeated)[is_conflict]] = True
    exact = candidates[~is_conflict]
    copy[np.flatnonzero(repeated)[~is_conflict][pd.util.hash_pandas_object(exact, index=False).duplicated().to_numpy()]] = True
    return copy, conflict


def missing_columns_message(raw: RawExport, mapping: Mapping, missing: list[str]) -> str:
    """Names what the mapping asked for and what is close; never lists the header (the file may not be an export)."""
    header = raw.table.column_names
    hints = {name: close[0] for name in missing if (close := difflib.get_close_matches(name, header, n=1, cutoff=0.8))}
    return (
        f"{raw.path}: column(s) {missing} named in mapping {mapping.source_file} are not among "
        f"the export's {len(header)} columns" + (f"; close matches: {hints}" if hints else "")
        + "; check the mapping's column names and csv.delimiter"
    )


def conform(raw: RawExport, mapping: Mapping) -> ConformedExport:
    table = raw.table
    missing = [c for c in dict.fromkeys(mapping.referenced_columns()) if c not in table.column_names]
    if missing:
        raise ExportContentError(missing_columns_message(raw, mapping, missing))
    originals = [c for c in table.column_names if c not in mapping.drop]
    names = internal_names(originals)
    tokens = _normalised_tokens(mapping.missing_tokens, mapping)
    n = table.num_rows
    reasons: list[tuple[str, pa.ChunkedArray | pa.Array]] = []
    columns, specs = {}, []
    # Row position in the file (1 = first row after the header), counting rows that did not parse.
    unparsed_rows = [r["row"] - 1 for r in raw.unparsed if r["row"] is not None and r["row"] > 0]
    row_number = pa.array(np.setdiff1d(np.arange(1, n + len(raw.unparsed) + 1), unparsed_rows)[:n], pa.int64())
    if mapping.id_column is None:  # the row number is the id; the underscore keeps it apart from every header's name
        columns[ROW_ID] = pc.cast(row_number, pa.string())
        specs.append(ColumnSpec(ROW_ID_ORIGINAL, ROW_ID, "id"))
    roles = {**{c: "id" for c in mapping.id_columns}, mapping.label.column: "label", **{c: "pii" for c in mapping.pii}, **{c: "post_outcome" for c in mapping.post_outcome}}
    if mapping.timestamp:
        roles[mapping.timestamp.column] = "timestamp"
    for original in originals:
        role, values = roles.get(original, "feature"), table.column(original)
        spec = ColumnSpec(original, names[original], role)
        # No warehouse text type holds NUL (Postgres refuses it): such a value is a corrupt field, not data.
        reasons.append((f"NUL character in {original!r}", pc.match_substring(values, "\x00")))
        normalised = normalise_text(values, mapping.case, mapping.collapse_whitespace)
        if role in ("id", "pii"):
            values = _with_missing(pc.utf8_trim_whitespace(values), pa.array([""], pa.string()))
            if role == "id":
                reasons.insert(0, (f"missing id {original!r}", pc.is_null(values)))
        elif role == "timestamp":  # missing tokens matched as normalised, the text kept: folding would turn a `Z` zone into `z`
            values = pc.if_else(pc.is_in(normalised, value_set=tokens), pa.scalar(None, pa.string()), pc.utf8_trim_whitespace(values))
        else:
            values = _with_missing(normalised, tokens)
        if role == "label":
            values, outside = _label(values, mapping)
            reasons.append((f"label {original!r} outside the declared values", outside))
        elif role == "timestamp":
            values, found = _timestamp(values, mapping, raw.path)
            reasons += found
        elif role in ("feature", "post_outcome"):
            spec.feature_type = mapping.types.get(original) or infer_type(values, mapping.number_format)
            if spec.feature_type == "categorical" and original not in mapping.types:
                finding = numeric_with_separators(values)
                spec.note = finding.message(original) if finding else None
            values, bad = _typed(values, spec.feature_type, mapping.number_format)
            if bad is not None:
                reasons.append((f"unparseable {spec.feature_type} value in {original!r}", bad))
        spec.null_share = float(pc.sum(pc.is_null(values)).as_py() or 0) / max(n, 1)
        spec.distinct = len(pc.unique(pc.drop_null(values)))
        if role == "feature" and spec.distinct < 2:
            spec.excluded = "constant"
        columns[spec.name] = values
        specs.append(spec)
    if mapping.id_column is not None:
        copy, conflict = _duplicate_ids(columns[names[mapping.id_column]], table.select(originals))
        reasons += [(f"duplicate row for id {mapping.id_column!r}", pa.array(copy)),
                    (f"conflicting rows for one id {mapping.id_column!r}", pa.array(conflict))]

    reason = pa.nulls(n, pa.string())
    for text, mask in reversed(reasons):  # earlier rules win
        reason = pc.if_else(pc.fill_null(mask, False), pa.scalar(text), reason)
    bad = pc.is_valid(reason)
    typed = pa.table({**columns, ROW: row_number})
    text = pa.table({names[o]: pc.replace_substring(table.column(o), "\x00", "\ufffd") for o in originals}).append_column(ROW, row_number)
    quarantined = text.filter(bad).append_column("_reason", pc.filter(reason, bad))
    # The line's text is the row's only value: it goes into the first column, and never into the reason, which
    # error messages count and print.
    first = names[originals[0]]
    unparsed = [{**{names[o]: None for o in originals}, first: (r["text"] or "")[:1000].replace("\x00", ""), ROW: (r["row"] or 0) - 1,
                 "_reason": f"line did not parse ({r['reason']})"} for r in raw.unparsed]
    if unparsed:
        quarantined = pa.concat_tables([quarantined, pa.Table.from_pylist(unparsed, schema=quarantined.schema)])
    return ConformedExport(typed.filter(pc.invert(bad)), quarantined, specs)


def check_quarantine_share(conformed: ConformedExport, mapping: Mapping, path) -> None:
    landed = conformed.valid.num_rows + conformed.quarantined.num_rows
    share = conformed.quarantined.num_rows / max(landed, 1)
    if share > mapping.max_quarantine_share:
        counts = pd.Series(conformed.quarantined.column("_reason").to_pylist()).value_counts().head(5).to_dict()
        sample = conformed.quarantined.column(ROW).to_pylist()[:10]
        raise ExportContentError(
            f"{path}: {conformed.quarantined.num_rows} of {landed} rows ({share:.1%}) would be quarantined, above the "
            f"mapping's max_quarantine_share {mapping.max_quarantine_share:.0%}; nothing was loaded. "
            f"Reasons: {counts}; rows (1 = first row after the header): {sample}"
        )
