"""Read a delimited export as text, whatever its encoding, keeping the rows that do not parse.

Every value is read as text: types are inferred later, on the normalised
values, so a stray token cannot turn a column's type on its own. Rows with the
wrong number of fields are not dropped silently: they come back with their
line text so they can be quarantined.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from lead_scoring.errors import LeadScoringError
from lead_scoring.flat.mapping import CsvSpec

CHUNK = 16 * 1024 * 1024
FALLBACK_ENCODINGS = ("cp1252", "latin-1")


class ExportFileError(LeadScoringError):
    """The export cannot be read: missing, empty, wrong encoding, no header."""


@dataclass
class RawExport:
    path: Path
    encoding: str
    table: pa.Table  # every column as text, in file order
    unparsed: list[dict] = field(default_factory=list)  # {"row": n, "text": line, "reason": ...}
    notes: list[str] = field(default_factory=list)  # how the file was read, when it needed more than the mapping says


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(byte offset, line number) of the first byte that does not decode, or None when the whole file does."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, lines = 0, 1
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return offset + error.start, lines + chunk[: error.start].count(b"\n")
            offset += len(chunk)
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return offset, lines
    return None


def detect_encoding(path: Path, declared: str) -> str:
    """The declared encoding, checked; or with "auto" UTF-8 if it decodes, else cp1252, else latin-1."""
    candidates = (declared,) if declared != "auto" else ("utf-8", *FALLBACK_ENCODINGS)
    for encoding in candidates:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ExportFileError(f"{path}: unknown encoding {encoding!r} in the mapping (csv.encoding)") from None
        problem = _first_undecodable(path, encoding)
        if problem is None:
            return encoding
        if declared != "auto":
            offset, line = problem
            raise ExportFileError(
                f"{path} is not {encoding}: the byte at offset {offset} (line {line}) does not decode; "
                "set csv.encoding in the mapping to the export's encoding (e.g. cp1252) or to auto"
            )
    raise ExportFileError(f"{path}: no encoding among utf-8, cp1252, latin-1 decodes it")  # latin-1 decodes anything


def read_header(path: Path, encoding: str, spec: CsvSpec, shown: Path) -> list[str]:
    """The first record of the file: a quoted header may span lines, as a value may. Messages name ``shown``."""
    try:
        with open(path, encoding=encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=spec.delimiter, quotechar=spec.quote), [])
    except csv.Error as error:
        raise ExportFileError(f"{shown}: the header line cannot be read as delimited text ({error})") from None
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    if not header or all(not name.strip() for name in header):
        raise ExportFileError(f"{shown} is empty or has no header line")
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header, start=1):
        positions.setdefault(name, []).append(position)
    repeated = [where for where in positions.values() if len(where) > 1]
    if repeated:  # positions, not names: the message must not print a file's content
        raise ExportFileError(f"{shown}: the header repeats column names, at positions {repeated} (1 = first column)")
    return header


def _arrow_problem(error: Exception) -> str:
    """Arrow's reason without the row text it quotes (the file may not be an export at all)."""
    return re.sub(r"(, got \d+)?:.*$", r"\1", str(error).split("\n")[0].removeprefix("CSV parse error: "))


def _without_bom(encoding: str) -> str:
    """The codec that drops a leading byte-order mark, which would otherwise hide the first quote."""
    return "utf-8-sig" if encoding in ("utf-8", "utf8") else encoding


def _wrapped_lines(path: Path, encoding: str, spec: CsvSpec) -> bool:
    """True when each line is one quoted field holding the real line, as a spreadsheet re-saving an export writes it.

    Such a header (the quotes inside it doubled) reads as one column named
    ``age;"job";"marital"``; read once more, that one field is the header the export meant.
    """
    try:
        with open(path, encoding=_without_bom(encoding), newline="") as handle:
            first = handle.read(1)
            handle.seek(0)
            header = next(csv.reader(handle, delimiter=spec.delimiter, quotechar=spec.quote), [])
    except csv.Error:  # read_header reports it
        return False
    if first != spec.quote or len(header) != 1:
        return False
    inner = next(csv.reader(header, delimiter=spec.delimiter, quotechar=spec.quote), [])
    return len(inner) > 1


def _unwrap(path: Path, encoding: str, spec: CsvSpec, target: Path) -> None:
    """Write the file with each wrapped line's inner text as the line (a line that is not wrapped is kept as it was)."""
    with open(path, encoding=_without_bom(encoding), newline="") as source, \
            open(target, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=spec.delimiter, quotechar=spec.quote, lineterminator="\n")
        records = csv.reader(source, delimiter=spec.delimiter, quotechar=spec.quote)
        try:
            for fields in records:
                if len(fields) == 1:
                    out.write(fields[0] + "\n")
                else:
                    writer.writerow(fields)
        except csv.Error as error:
            raise ExportFileError(f"{path}: every line is wrapped in quotes, but line {records.line_num} cannot be unwrapped ({error})") from None


def _read_table(path: Path, encoding: str, spec: CsvSpec, shown: Path) -> RawExport:
    """The whole file as text columns; ``shown`` is the path messages name (the user's file, not a scratch copy)."""
    header = read_header(path, encoding, spec, shown)
    unparsed: list[dict] = []

    def keep_bad_row(row) -> str:
        unparsed.append(
            {"row": row.number, "text": row.text, "reason": f"{row.actual_columns} fields where the header has {row.expected_columns}"}
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding in ("utf-8", "utf8") else encoding, use_threads=False, block_size=CHUNK
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=spec.delimiter, quote_char=spec.quote, newlines_in_values=True, invalid_row_handler=keep_bad_row
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, strings_can_be_null=False, null_values=[]
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise ExportFileError(
            f"{shown} cannot be parsed as delimited text (delimiter {spec.delimiter!r}, quote {spec.quote!r}): {_arrow_problem(error)}"
        ) from None
    if table.column_names != header:
        raise ExportFileError(f"{shown}: the header reads as {len(table.column_names)} columns one way and {len(header)} another; "
                              "check csv.delimiter and csv.quote in the mapping")
    return RawExport(shown, encoding, table, unparsed)


def read_export(path: Path, spec: CsvSpec) -> RawExport:
    path = Path(path)
    if not path.exists():
        raise ExportFileError(f"export file {path} not found")
    if not path.is_file():
        raise ExportFileError(f"export path {path} is not a file (a folder?): pass the export file itself")
    if path.stat().st_size == 0:
        raise ExportFileError(f"export file {path} is empty")
    encoding = detect_encoding(path, spec.encoding)
    if not _wrapped_lines(path, encoding, spec):
        return _read_table(path, encoding, spec, path)
    with tempfile.TemporaryDirectory(prefix="lead_scoring_unwrapped_") as scratch:
        unwrapped = Path(scratch) / "export.csv"
        _unwrap(path, encoding, spec, unwrapped)
        raw = _read_table(unwrapped, "utf-8", spec, path)
    raw.encoding = encoding
    raw.notes.append(f"{path}: every line is wrapped in one pair of quotes (an export re-saved by a spreadsheet); "
                     "read as the lines inside the quotes")
    return raw
