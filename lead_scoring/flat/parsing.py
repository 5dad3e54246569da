"""Timestamps and numbers read without guessing: one format per column, and a value that does not fit it is bad.

pandas' ``format="mixed"`` reads each value on its own, so ``05/03/2024`` and ``03/05/2024`` in one column both
load, one in the wrong month. Here a column has one strptime format, the mapping's or the one reading most of its
values; the rest are bad (quarantined), and when two formats read the same text as different dates the import stops
and asks the mapping which. ``1,674`` is a number only under a declared ``number_format``; a column that would be
numeric with one is reported, not silently kept as categories. Values arrive normalised (trimmed, case folded).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lead_scoring.errors import LeadScoringError

DATES = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y", "%m/%d/%y",
         "%B %d %Y", "%B %d, %Y", "%d %B %Y", "%b %d %Y", "%b %d, %Y", "%d %b %Y")
TIMES = ("%H:%M", "%H:%M:%S", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p")
CANDIDATES = DATES + tuple(f"{d} {t}" for d in DATES for t in TIMES) + tuple(f"%Y-%m-%dT{t}" for t in TIMES[:3])
# What each directive of a candidate can look like: pandas is slow on values that fail, so only values of the
# right shape reach it. Text is upper-cased first (pandas' %z takes only an upper-case Z).
SHAPES = {
    "%Y": r"\d{4}", "%y": r"\d{2}", "%m": r"(?:0?[1-9]|1[0-2])", "%d": r"(?:0?[1-9]|[12]\d|3[01])", "%H": r"(?:[01]?\d|2[0-3])",
    "%I": r"(?:0?[1-9]|1[0-2])", "%M": r"[0-5]\d", "%S": r"[0-5]\d", "%f": r"\d{1,6}", "%B": "[A-Z]+", "%b": "[A-Z]+", "%p": "[AP]M",
    "%z": r"(?:Z|[+-]\d{2}:?\d{2})",
}
# A numeric date is read as ISO once its fields are reordered: pandas reads ISO text several times faster.
AS_ISO = {
    "%d/%m/%Y": r"\3-\2-\1", "%m/%d/%Y": r"\3-\1-\2", "%d.%m.%Y": r"\3-\2-\1", "%d-%m-%Y": r"\3-\2-\1", "%m-%d-%Y": r"\3-\1-\2", "%Y/%m/%d": r"\1-\2-\3",
}
SAMPLE = 2000  # distinct values every candidate is tried on; only those reading some are tried on the whole column
MAJORITY = 0.5
NUMERIC_SHARE = 0.98  # as in conform: a column is numeric when this share of its values are numbers
SPACE = "[ \u00a0\u202f]"  # a space thousands separator is often a no-break space
THOUSANDS, DECIMALS = (",", ".", " ", "'", ""), (".", ",")
SEPARATORS = (("", "."), (",", "."), (".", ","), (" ", ","), (" ", "."), ("'", "."))  # simplest first: it wins ties


class AmbiguousTimestampFormat(LeadScoringError):
    """Two formats read the same values of a timestamp column as different dates (day and month swapped)."""


class UnparseableTimestamps(LeadScoringError):
    """No single format reads most of a timestamp column, or the mapping's format is not a strptime format."""


class NumberFormatError(LeadScoringError):
    """The mapping's number_format is not one the parser can apply."""


@dataclass(frozen=True)
class TimestampResult:
    values: pa.Array  # timestamp('us'), UTC, naive; null where missing or bad
    bad: pa.Array  # bool: a present value that does not fit `format`
    format: str | None  # None only when the column has no value to infer a format from
    reasons: tuple[tuple[str, pa.Array], ...]  # (quarantine reason, rows): disjoint, together `bad`


@dataclass(frozen=True)
class NumberResult:
    values: pa.Array  # float64, null where missing or bad
    bad: pa.Array  # bool: a present value that is not a finite number in the format


def _yaml(value) -> str:
    """Quoted, so that a column named `yes` or `a: b` stays a string when pasted into the mapping (JSON is YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _examples(text: pa.Array, where: np.ndarray) -> str:
    return ", ".join(repr(v) for v in text.take(pa.array(np.flatnonzero(where)[:3])).to_pylist())


def _read(text: pa.Array, fmt: str, candidate: bool) -> np.ndarray:
    """datetime64[us] in UTC per distinct value, NaT where it does not fit `fmt`; a candidate's shape is checked first."""
    readings = np.full(len(text), np.datetime64("NaT"), "datetime64[us]")
    shape = "^" + "".join(SHAPES.get(token, re.escape(token)) for token in re.findall(r"%.|[^%]", fmt)) + "$"
    rows = np.flatnonzero(pc.match_substring_regex(text, shape).to_numpy(zero_copy_only=False)) if candidate else np.arange(len(text))
    if len(rows) == 0:
        return readings
    text = text.take(pa.array(rows))
    date = next((d for d in AS_ISO if candidate and fmt.startswith(d)), None)
    if date:  # the shape has checked the layout this rewrite relies on
        text, fmt = pc.replace_substring_regex(text, r"^(\d+)\D(\d+)\D(\d+)", AS_ISO[date]), "%Y-%m-%d" + fmt[len(date):]
    parsed = pd.to_datetime(text.to_pandas(), format=fmt, errors="coerce", utc="%z" in fmt)
    readings[rows] = (parsed.dt.tz_convert(None) if "%z" in fmt else parsed).to_numpy("datetime64[us]")
    return readings


def _infer(text: pa.Array, originals: pa.Array, weights: np.ndarray, column: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The format reading the most values, its readings, and the values it rejects only for lacking a time zone."""
    sample = text.take(pa.array(np.arange(0, len(text), max(1, len(text) // SAMPLE))))
    families: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for base in CANDIDATES:
        # Each format is tried without and with an offset: a column mixing both is still one family.
        if any(not np.isnat(_read(sample, f, True)).all() for f in (base, base + "%z")):
            families[base] = (_read(text, base, True), _read(text, base + "%z", True))
    read = {base: np.where(np.isnat(aware), naive, aware) for base, (naive, aware) in families.items()}
    count = {base: int(weights[~np.isnat(r)].sum()) for base, r in read.items()}
    best = max(count, key=count.get, default=None)
    rivals, differing = [], np.zeros(len(text), bool)
    for other in read:
        chosen, reading = read[best], read[other]
        differ = ~np.isnat(chosen) & ~np.isnat(reading) & (chosen != reading)
        # A rival with values of its own shows the column uses both orders; one reading the same values is a tie.
        if differ.any() and ((np.isnat(chosen) & ~np.isnat(reading)).any() or not (np.isnat(reading) & ~np.isnat(chosen)).any()):
            rivals.append(other)
            differing |= differ
    if rivals:
        formats = [best, *rivals]
        fits_only = {f: ~np.isnat(read[f]) & np.all([np.isnat(read[g]) for g in formats if g != f], axis=0) for f in formats}
        evidence = "".join(f"; values like {_examples(originals, only)} fit only {f!r}" for f, only in fits_only.items() if only.any())
        raise AmbiguousTimestampFormat(
            f"timestamp column {column!r} is ambiguous: values like {_examples(originals, differing)} read as different "
            f"dates under formats {formats}{evidence}. Set `timestamp: {{column: {_yaml(column)}, format: {_yaml(best)}}}` "
            "in the mapping, with the format the export uses; values in any other format are then quarantined"
        )
    present = int(weights.sum())
    if best is None or count[best] <= MAJORITY * present:
        unread = np.isnat(read[best]) if best else np.ones(len(text), bool)
        best_text = f"the best, {best!r}, reads {count[best]}" if best else "none of the known formats reads any"
        raise UnparseableTimestamps(
            f"timestamp column {column!r}: no single format reads more than half of its {present} values ({best_text}); "
            f"values like {_examples(originals, unread)}. Set `timestamp: {{column: {_yaml(column)}, format: ...}}` in "
            "the mapping with the export's strptime format"
        )
    naive, aware = families[best]
    if np.isnat(aware).all():
        return best, naive, np.zeros(len(text), bool)
    return best + "%z", aware, ~np.isnat(naive)


def parse_timestamps(values: pa.ChunkedArray | pa.Array, fmt: str | None, column: str) -> TimestampResult:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = pc.dictionary_encode(values)
    originals, rows = encoded.dictionary, encoded.indices
    # Digits past microseconds are cut, not rounded: rounding could move a value into the next day.
    text = pc.utf8_upper(pc.replace_substring_regex(originals, r"(\.\d{6})\d+", r"\1"))
    weights = np.bincount(pc.drop_null(rows).to_numpy(), minlength=len(originals))
    lacks_zone = np.zeros(len(originals), bool)
    if fmt:
        try:
            readings = _read(text, fmt, False)
        except ValueError as error:
            raise UnparseableTimestamps(f"timestamp.format {fmt!r} for column {column!r} is not a strptime format: {error}") from None
    elif len(originals):
        fmt, readings, lacks_zone = _infer(text, originals, weights, column)
    else:
        readings = np.empty(0, "datetime64[us]")
    by_row = lambda per_value: pc.fill_null(pc.take(pa.array(per_value, pa.bool_()), rows), False)
    bad, naive = by_row(np.isnat(readings)), by_row(lacks_zone)
    reasons = [(f"timestamp {column!r} does not fit format {fmt!r}", pc.and_not(bad, naive))]
    if lacks_zone.any():
        reasons.append((f"timestamp {column!r} has no time zone while other values in the column do (format {fmt!r})", naive))
    return TimestampResult(pc.take(pa.array(readings, pa.timestamp("us"), from_pandas=True), rows), bad, fmt, tuple(reasons))


@dataclass(frozen=True)
class NumberFormat:
    thousands: str = ""
    decimal: str = "."
    currency: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.thousands, str) or self.thousands not in THOUSANDS:
            raise NumberFormatError(f"number_format.thousands is {self.thousands!r}; expected one of {THOUSANDS} (quoted in YAML, e.g. thousands: \",\")")
        if not isinstance(self.decimal, str) or self.decimal not in DECIMALS:
            raise NumberFormatError(f"number_format.decimal is {self.decimal!r}; expected one of {DECIMALS} (quoted in YAML)")
        if self.thousands == self.decimal:
            raise NumberFormatError(f"number_format.thousands and number_format.decimal are both {self.decimal!r}; they must differ")
        currency = (self.currency,) if isinstance(self.currency, str) else self.currency
        if not isinstance(currency, (list, tuple)) or not all(isinstance(s, str) and s and not re.search(r"[\d\s+\-.,']", s) for s in currency):
            raise NumberFormatError(
                f"number_format.currency is {self.currency!r}; expected a list of symbols without digits, signs, spaces or separators, "
                'e.g. ["$", "€"]'
            )
        object.__setattr__(self, "currency", tuple(currency))

    @classmethod
    def from_mapping(cls, raw: object, source: object = "mapping") -> NumberFormat:
        """From the mapping's `number_format: {thousands: ",", decimal: ".", currency: ["$", "€"]}`."""
        if not isinstance(raw, dict) or set(raw) - {"thousands", "decimal", "currency"}:
            raise NumberFormatError(f"{source}: number_format must be a mapping with keys thousands, decimal, currency; got {raw!r}")
        try:
            return cls(raw.get("thousands", ""), raw.get("decimal", "."), raw.get("currency", ()))
        except NumberFormatError as error:
            raise NumberFormatError(f"{source}: {error}") from None

    def as_yaml(self) -> str:
        keys = {"thousands": self.thousands or None, "decimal": None if self.decimal == "." else self.decimal, "currency": list(self.currency) or None}
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in keys.items() if v) + "}"

    def pattern(self) -> str:
        """A number with at most one sign, before or after a currency symbol on either side."""
        separator = SPACE if self.thousands == " " else re.escape(self.thousands)
        digits = rf"\d{{1,3}}(?:{separator}\d{{3}})+|\d+" if self.thousands else r"\d+"
        decimal = re.escape(self.decimal)
        number = rf"(?:(?:{digits})(?:{decimal}\d*)?|{decimal}\d+)(?:[eE][+-]?\d+)?"
        symbol = "(?i:" + "|".join(re.escape(s) for s in self.currency) + ")"
        before, after = (f"{symbol}{SPACE}?", f"{SPACE}?{symbol}") if self.currency else ("", "")
        return rf"^(?P<sign>[+-]?)(?P<before>{before})?(?P<sign_after>[+-]?)(?P<number>{number})(?P<after>{after})?$"


def parse_numbers(values: pa.ChunkedArray | pa.Array, number_format: NumberFormat | None) -> NumberResult:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    number_format = number_format or NumberFormat()
    parts = pc.extract_regex(values, number_format.pattern())
    part = lambda name: pc.fill_null(pc.struct_field(parts, name), "")
    has = lambda name: pc.not_equal(pc.utf8_length(part(name)), 0)
    fits = pc.and_(pc.is_valid(parts), pc.invert(pc.or_(pc.and_(has("sign"), has("sign_after")), pc.and_(has("before"), has("after")))))
    decimal = re.escape(number_format.decimal)
    digits = pc.replace_substring(pc.replace_substring_regex(part("number"), rf"[^\d{decimal}eE+-]", ""), number_format.decimal, ".")
    text = pc.binary_join_element_wise(part("sign"), part("sign_after"), digits, "")
    numbers = pc.cast(pc.if_else(fits, text, pa.scalar(None, pa.string())), pa.float64())
    # A number past float range would load as infinity, which no model or statistic can use.
    numbers = pc.if_else(pc.is_finite(numbers), numbers, pa.scalar(None, pa.float64()))
    return NumberResult(numbers, pc.and_(pc.is_valid(values), pc.is_null(numbers)))


@dataclass(frozen=True)
class SeparatorFinding:
    number_format: NumberFormat
    needing: int  # present values that only `number_format` reads, not the plain number syntax
    examples: tuple[str, ...]
    alternative: NumberFormat | None = None  # a format reading as many values, these ones as other numbers

    def message(self, column: str) -> str:
        text = (
            f"column {column!r} is numeric except for {self.needing} values like {', '.join(map(repr, self.examples))}: "
            f"set types: {{{_yaml(column)}: numeric}} and number_format: {self.number_format.as_yaml()} in the mapping"
        )
        if self.alternative:
            text += f" (or {self.alternative.as_yaml()}, which reads them as other numbers: check which the export uses)"
        return text


def numeric_with_separators(values: pa.ChunkedArray | pa.Array) -> SeparatorFinding | None:
    """Whether a column read as categorical is numeric once thousands separators and currency signs ($ € £...) are allowed."""
    present = pc.drop_null(values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values)
    at_either_end = (r"^[+-]?(?P<symbol>\p{Sc})", r"(?P<symbol>\p{Sc})$")
    symbols = pa.concat_arrays([pc.struct_field(pc.extract_regex(present, p), "symbol") for p in at_either_end])
    currency = tuple(sorted(pc.unique(pc.drop_null(symbols)).to_pylist()))
    plain = pc.invert(parse_numbers(present, None).bad)
    readings = [parse_numbers(present, NumberFormat(t, d, currency)) for t, d in SEPARATORS]
    counts = [len(present) - (pc.sum(r.bad).as_py() or 0) for r in readings]
    best = int(np.argmax(counts))
    needing = pc.and_not(pc.invert(readings[best].bad), plain)
    count_needing = pc.sum(needing).as_py() or 0
    if not count_needing or counts[best] < NUMERIC_SHARE * len(present):
        return None
    chosen = pc.filter(readings[best].values, needing)
    alternative = next((
        NumberFormat(*SEPARATORS[i], currency) for i, r in enumerate(readings)
        if counts[i] == counts[best] and not pc.all(pc.equal(pc.filter(r.values, needing), chosen)).as_py()
    ), None)
    examples = tuple(pc.unique(pc.filter(present, needing))[:3].to_pylist())
    return SeparatorFinding(NumberFormat(*SEPARATORS[best], currency), count_needing, examples, alternative)
