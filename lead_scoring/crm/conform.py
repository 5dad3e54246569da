"""One delivery of a mapped table, brought to the product's raw contract (``simulator/schema.py``).

Columns are renamed by the mapping and typed to the contract: timestamps as
UTC (an ISO string with an offset is converted, one without is read as UTC),
numbers, booleans. The source's words become the product's: activity types to
the activity groups (a type the mapping does not name is ``other``), deal rows
to conversions (only the won stages), category labels to the product's values
(by the mapping's ``values``, or when the label is the value itself in other
case or spacing: ``Organic Search`` is ``organic_search``). What could not be
read or mapped is counted per column, never guessed: a value that does not
parse, or a label outside the product's values, is null in the contract and
named in the landing's report; the ingestion's checks and quarantine then
judge the rows as they judge any landed file.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from lead_scoring.crm.deliveries import Delivery, DeliveryError
from lead_scoring.crm.mapping import StatusConversion, TableMapping
from lead_scoring.flat.parsing import parse_numbers, parse_timestamps
from lead_scoring.quality.domains import DOMAINS
from lead_scoring.simulator.schema import OTHER_ACTIVITY, RAW_TABLES

TRUE_WORDS, FALSE_WORDS = {"true", "yes", "y", "1", "t"}, {"false", "no", "n", "0", "f"}


@dataclass
class Findings:
    """What a delivery held that the contract could not take as it was, per source column."""

    unreadable: Counter = field(default_factory=Counter)  # source column -> values that did not parse
    outside: dict[str, Counter] = field(default_factory=dict)  # source column -> {label outside the product's values: rows}
    other_types: Counter = field(default_factory=Counter)  # activity types mapped to `other`
    not_won: int = 0  # deal rows in a stage that is not a conversion

    def merge(self, other: "Findings") -> None:
        self.unreadable.update(other.unreadable)
        for column, labels in other.outside.items():
            self.outside.setdefault(column, Counter()).update(labels)
        self.other_types.update(other.other_types)
        self.not_won += other.not_won

    def lines(self) -> list[str]:
        said = [f"{n} values of {column!r} did not parse: null in the contract" for column, n in self.unreadable.items() if n]
        said += [f"{sum(labels.values())} rows of {column!r} hold labels outside the product's values, null in the contract "
                 f"(map them under `values`): {dict(labels.most_common(5))}" for column, labels in self.outside.items()]
        if self.other_types:
            said.append(f"{sum(self.other_types.values())} activities of types the mapping does not name, counted as "
                        f"`{OTHER_ACTIVITY}`: {dict(self.other_types.most_common(5))}")
        if self.not_won:
            said.append(f"{self.not_won} deal rows in stages that are not a conversion")
        return said


def _shown(label: str) -> str:
    """A label as the report quotes it: at most 60 characters (a delivery's text reaches the terminal and Dagster metadata)."""
    return label if len(label) <= 60 else label[:57] + "..."


def _text(values: pa.ChunkedArray) -> pa.Array:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    text = values if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) else pc.cast(values, pa.string())
    text = pc.utf8_trim_whitespace(pc.cast(text, pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _translate(text: pa.Array, lookup) -> tuple[pa.Array, list[tuple[str, int]]]:
    """Each distinct value looked up once; returns the translated column and the (value, rows) left untranslated."""
    encoded = pc.dictionary_encode(text)
    labels = encoded.dictionary.to_pylist()
    translated = [lookup(label) for label in labels]
    counts = Counter(pc.drop_null(encoded.indices).to_pylist())
    missed = [(labels[i], counts[i]) for i, value in enumerate(translated) if value is None and counts[i]]
    return pc.take(pa.array(translated, pa.string()), encoded.indices), missed


def _vocabulary_lookup(pairs: dict[str, str], domain: tuple[str, ...] | None):
    exact, folded = dict(pairs), {k.casefold(): v for k, v in pairs.items()}
    allowed = set(domain) if domain else None

    def lookup(label: str) -> str | None:
        value = exact.get(label) or folded.get(label.casefold())
        if value is None:
            if allowed is None:
                return label
            for candidate in (label, label.lower(), re.sub(r"[\s]+", "_", label.lower())):
                if candidate in allowed:
                    return candidate
            return None
        return value if allowed is None or value in allowed else None

    return lookup


def _column(table: TableMapping, contract: str, source: str, values: pa.ChunkedArray, kind: pa.DataType,
            findings: Findings) -> pa.Array:
    if pa.types.is_timestamp(kind):
        if pa.types.is_timestamp(values.type) or pa.types.is_date(values.type):
            return pc.cast(values, pa.timestamp("us")).combine_chunks()  # a zoned timestamp is stored as UTC: the cast keeps it
        parsed = parse_timestamps(_text(values), None, source)
        findings.unreadable[source] += int(pc.sum(parsed.bad).as_py() or 0)
        return parsed.values
    if pa.types.is_floating(kind):
        if pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_decimal(values.type):
            return pc.cast(values, pa.float64()).combine_chunks()
        parsed = parse_numbers(_text(values), None)
        findings.unreadable[source] += int(pc.sum(parsed.bad).as_py() or 0)
        return parsed.values
    if pa.types.is_boolean(kind):
        if pa.types.is_boolean(values.type):
            return values.combine_chunks()
        pairs = {k.casefold(): v for k, v in table.values.get(contract, {}).items()}
        word = lambda label: pairs.get(label.casefold(), label.casefold())
        flags, missed = _translate(_text(values), lambda label: "true" if word(label) in TRUE_WORDS else "false" if word(label) in FALSE_WORDS else None)
        findings.unreadable[source] += sum(n for _, n in missed)
        return pc.equal(flags, "true")
    text = _text(values)
    if contract == "activity_type":
        groups, missed = _translate(text, _vocabulary_lookup(table.types, DOMAINS["activity_type"]))
        findings.other_types.update({_shown(label): n for label, n in missed})
        return pc.if_else(pc.and_(pc.is_null(groups), pc.is_valid(text)), pa.scalar(OTHER_ACTIVITY), groups)
    if contract in table.values or contract in DOMAINS:
        mapped, missed = _translate(text, _vocabulary_lookup(table.values.get(contract, {}), DOMAINS.get(contract)))
        if missed:
            findings.outside[source] = Counter({_shown(label): n for label, n in missed})
        return mapped
    return text


def _missing_columns(delivery: Delivery, named: list[str]) -> None:
    header = delivery.rows.column_names
    missing = [c for c in named if c not in header]
    if missing:
        hints = {name: close[0] for name in missing if (close := difflib.get_close_matches(name, header, n=1, cutoff=0.8))}
        raise DeliveryError(f"{delivery.where}: column(s) {missing} named in tables.{delivery.table} of the mapping are not among "
                            f"its {len(header)} columns" + (f"; close matches: {hints}" if hints else ""))


def _derived_activity_ids(columns: dict[str, pa.Array], source_type: pa.Array) -> pa.Array:
    """An id from the activity's content, for a stream without one: the same activity re-delivered keeps it."""
    seen: Counter = Counter()
    ids = []
    for lead, at, kind in zip(columns["lead_id"].to_pylist(), columns["occurred_at"].to_pylist(), source_type.to_pylist()):
        key = f"{lead}|{at}|{kind}"
        seen[key] += 1
        ids.append(hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()[:24])
    return pa.array(ids, pa.string())


def _one_of(values: pa.ChunkedArray, words: tuple[str, ...]) -> pa.Array:
    """Rows whose value is one of ``words`` but for case and surrounding spaces (false where missing)."""
    lowered = pa.array(sorted({w.lower() for w in words}), pa.string())  # str.lower, as Arrow's utf8_lower: the same folding
    return pc.fill_null(pc.is_in(pc.utf8_lower(_text(values)), value_set=lowered), False)


def _won(delivery: Delivery, rule, findings: Findings) -> pa.Table:
    keep = _one_of(delivery.rows.column(rule.column), rule.won)
    findings.not_won += delivery.rows.num_rows - int(pc.sum(keep).as_py() or 0)
    return delivery.rows.filter(keep)


def conform_delivery(delivery: Delivery, table: TableMapping) -> tuple[pa.Table, Findings]:
    """The delivery as rows of the product's ``table.table``, in the contract's column order and types."""
    _missing_columns(delivery, table.source_columns())
    findings = Findings()
    rows = _won(delivery, table.stage, findings) if table.stage else delivery.rows
    schema = RAW_TABLES[table.table]
    columns: dict[str, pa.Array] = {}
    for target in schema:
        source = table.columns.get(target.name)
        if source is None:
            columns[target.name] = pa.nulls(rows.num_rows, target.type)
        else:
            columns[target.name] = _column(table, target.name, source, rows.column(source), target.type, findings)
    if table.table == "activities" and "activity_id" not in table.columns:
        columns["activity_id"] = _derived_activity_ids(columns, _text(rows.column(table.columns["activity_type"])))
    return pa.table(columns, schema=schema), findings


def conversions_on_leads(delivery: Delivery, leads: TableMapping) -> tuple[pa.Table, Findings]:
    """Conversion rows from a leads delivery whose status column says converted (``tables.leads.conversion``)."""
    rule: StatusConversion = leads.conversion
    keep = _one_of(delivery.rows.column(rule.status), rule.converted)
    subset = Delivery("conversions", delivery.day, delivery.where, delivery.digest, delivery.rows.filter(keep))
    mapping = TableMapping("conversions", leads.origin, {"lead_id": leads.columns["lead_id"], "converted_at": rule.at,
                                                         **({"deal_amount": rule.amount} if rule.amount else {})})
    table, findings = conform_delivery(subset, mapping)
    return table.filter(pc.is_valid(table.column("converted_at"))), findings
