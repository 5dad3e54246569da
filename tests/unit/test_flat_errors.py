"""Each bad input found in use gets one clear line and exit code 2 from `lead-scoring import`, never a traceback.

Quiet on good input too: the same export with the fault removed imports.
"""

import subprocess

import pytest

from lead_scoring.flat.conform import ExportContentError, conform
from lead_scoring.flat.importer import run_tags
from lead_scoring.flat.mapping import load_mapping
from lead_scoring.flat.reader import read_export
from tests.conftest import BIN, home_env

EXPORT = "Lead Key,Outcome,Source,Visits\n" + "".join(f"k{i},{'Won' if i % 3 else 'Lost'},{'ab'[i % 2]},{i}\n" for i in range(40))
MAPPING = "name: crm\nid_column: Lead Key\nlabel: {column: Outcome, positive: [Won], negative: [Lost]}\n"


def _import(tmp_path, export_text: str = EXPORT, mapping_text: str = MAPPING, export_path=None):
    export = tmp_path / "export.csv"
    export.write_text(export_text)
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(mapping_text)
    args = [str(BIN / "lead-scoring"), "import", str(export_path or export), "--mapping", str(mapping), "--no-train"]
    return subprocess.run(args, env=home_env(tmp_path / "home"), capture_output=True, text=True, timeout=300)


def test_a_good_export_imports(tmp_path):
    result = _import(tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("mapping_line, message", [
    ("max_quarantine_share: lots", "max_quarantine_share is 'lots': expected a share between 0 and 1"),
    ("split_seed: seven", "split_seed is 'seven': expected a whole number"),
    ("csv: {delimiter: ';;'}", "csv.delimiter is ';;': it must be one character"),
    ("csv: {delimiter: ',', quote: ','}", "csv.delimiter and csv.quote are both ','"),
    ("types: [Visits]", "`types` must be a mapping of keys"),
    ("timestamp: {format: '%Y'}", "`timestamp` must be a column name"),
])
def test_a_bad_mapping_value_names_the_key(tmp_path, mapping_line, message):
    result = _import(tmp_path, mapping_text=MAPPING + mapping_line + "\n")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_folder_as_the_export_is_named_as_such(tmp_path):
    (tmp_path / "a_folder").mkdir()
    result = _import(tmp_path, export_path=tmp_path / "a_folder")
    assert result.returncode == 2 and "is not a file (a folder?)" in result.stderr and "Traceback" not in result.stderr


def test_a_header_with_a_line_break_in_it_imports_under_its_name(tmp_path):
    result = _import(tmp_path, export_text=EXPORT.replace("Source", '"Lead\nSource"', 1))
    assert result.returncode == 0, result.stderr
    assert "lead_source (categorical)" in result.stdout


def test_an_error_never_prints_a_file_the_mapping_should_not_point_at(tmp_path):
    secret_line = "root:x:0:0:root:/root:/bin/bash"
    system_file = tmp_path / "passwd"
    system_file.write_text(secret_line + "\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    result = _import(tmp_path, export_path=system_file)
    assert result.returncode == 2 and "are not among the export's 1 columns" in result.stderr
    assert "root" not in result.stderr.replace(str(tmp_path), "")
    repeated = _import(tmp_path, export_text="a:b,a:b,x\n1,2,3\n")  # repeated names: positions, not the names
    assert repeated.returncode == 2 and "at positions [[1, 2]]" in repeated.stderr and "a:b" not in repeated.stderr


def test_a_column_named_like_a_generated_one_keeps_its_own_values(tmp_path):
    """`exported_on` in the export used to overwrite the generated load date."""
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING)
    export = tmp_path / "e.csv"
    export.write_text(EXPORT.replace("Visits", "exported_on"))
    columns = conform(read_export(export, load_mapping(mapping).csv), load_mapping(mapping, export)).columns
    assert {c.original: c.name for c in columns}["exported_on"] == "exported_on_2"


def test_mlflow_tag_keys_use_warehouse_names_whatever_the_header(tmp_path, monkeypatch):
    """A constant column named `Score (0-100)?` made an invalid MLflow tag key and failed training after the write."""
    import json

    from mlflow.utils.validation import _validate_tag_name

    from lead_scoring.settings import Settings

    home = tmp_path / "home"
    (home / "flat").mkdir(parents=True)
    columns = [{"original": "Score (0-100)?", "name": "score_0_100", "role": "feature", "excluded": "constant"}]
    record = {"name": "crm", "export_path": "e.csv", "mapping_digest": "d", "split_method": "stratified_random", "split_seed": 7,
              "leakage_flagged": [], "leakage_warned": [], "leakage_auc": {}, "columns": columns}
    (home / "flat" / "source.json").write_text(json.dumps(record))
    monkeypatch.setenv("LEAD_SCORING_HOME", str(home))
    tags = run_tags(Settings.from_env())
    assert tags["excluded.score_0_100"] == "Score (0-100)?: constant"
    for key in tags:
        _validate_tag_name(key)


def _dated_export(tmp_path, dates: list[str]) -> tuple:
    rows = "".join(f"k{i},{'Won' if i % 3 else 'Lost'},{'ab'[i % 2]},{i},{d}\n" for i, d in enumerate(dates))
    export = tmp_path / "dated.csv"
    export.write_text("Lead Key,Outcome,Source,Visits,Created\n" + rows)
    return export


@pytest.mark.parametrize("fmt", [None, "%Y-%m-%d"])
def test_mixed_date_formats_are_never_read_silently_in_the_wrong_month(tmp_path, fmt):
    """`2024-03-05`, `05/03/2024`, `03/05/2024` and `March 5 2024` in one column: 326 of 2,000 dates loaded in the
    wrong month before. Without a format the import asks for one; with one, the values that do not fit are quarantined."""
    import calendar

    import numpy as np

    rng = np.random.default_rng(3)
    days = [f"2024-{m:02d}-{d:02d}" for m, d in zip(rng.integers(1, 13, 2000), rng.integers(1, 29, 2000))]
    shapes = [lambda y, m, d: f"{y}-{m}-{d}", lambda y, m, d: f"{d}/{m}/{y}", lambda y, m, d: f"{m}/{d}/{y}",
              lambda y, m, d: f"{calendar.month_name[int(m)]} {int(d)} {y}"]
    written = [shapes[i % 4](*day.split("-")) for i, day in enumerate(days)]
    timestamp = "timestamp: Created\n" if fmt is None else f"timestamp: {{column: Created, format: '{fmt}'}}\nmax_quarantine_share: 0.7\n"
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING + timestamp)
    loaded = load_mapping(mapping, _dated_export(tmp_path, written))
    raw = read_export(loaded.path, loaded.csv)
    if fmt is None:
        with pytest.raises(ExportContentError, match=r"timestamp column 'Created' is ambiguous.*format:"):
            conform(raw, loaded)
        return
    conformed = conform(raw, loaded)
    kept = {row["lead_key"]: row["created"] for row in conformed.valid.select(["lead_key", "created"]).to_pylist()}
    assert len(kept) == 500
    assert all(str(kept[f"k{i}"].date()) == days[i] for i in range(0, 2000, 4))  # no date in the wrong month
    assert set(conformed.quarantined.column("_reason").to_pylist()) == {"timestamp 'Created' does not fit format '%Y-%m-%d'"}


def test_numbers_with_thousands_separators_are_reported_and_read_when_the_mapping_says_so(tmp_path):
    """A numeric column with `1,674`-style values in 3% of rows silently became categorical."""
    visits = [f"{1000 + i:,}" if i % 33 == 0 else str(i) for i in range(600)]
    rows = "".join(f"k{i},{'Won' if i % 3 else 'Lost'},{'ab'[i % 2]},\"{v}\"\n" for i, v in enumerate(visits))
    export = tmp_path / "e.csv"
    export.write_text("Lead Key,Outcome,Source,Visits\n" + rows)
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING)
    plain = conform(read_export(export, load_mapping(mapping).csv), load_mapping(mapping, export))
    visits_spec = {c.original: c for c in plain.columns}["Visits"]
    assert visits_spec.feature_type == "categorical" and "is numeric except for 19 values like '1,000'" in visits_spec.note
    mapping.write_text(MAPPING + "types: {Visits: numeric}\nnumber_format: {thousands: ','}\n")
    typed = conform(read_export(export, load_mapping(mapping).csv), load_mapping(mapping, export))
    assert {c.original: c for c in typed.columns}["Visits"].feature_type == "numeric"
    assert typed.valid.column("visits").to_pylist()[33] == 1033.0 and typed.quarantined.num_rows == 0


def test_a_missing_token_in_a_timestamp_column_is_missing_whatever_its_case(tmp_path):
    """`Select` in a timestamp column is the mapping's missing token, as in any other column (it was quarantined as unparseable)."""
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING + "timestamp: {column: Created, format: '%Y-%m-%dT%H:%M:%SZ'}\nmissing_tokens: ['', Select]\n"
                       "max_quarantine_share: 0.5\n")
    dates = ["2024-03-05T10:00:00Z", "Select", "2024-03-06T11:30:00Z", "bad"] * 10
    conformed = conform(read_export(_dated_export(tmp_path, dates), load_mapping(mapping).csv), load_mapping(mapping, tmp_path / "dated.csv"))
    reasons = conformed.quarantined.column("_reason").to_pylist()
    assert reasons.count("missing timestamp 'Created'") == 10 and len(reasons) == 20
    assert conformed.valid.column("created").to_pylist()[0].isoformat() == "2024-03-05T10:00:00"


@pytest.mark.parametrize("mapping_text, message", [
    (MAPPING.replace("column: Outcome", "column: Lead Key"), "'Lead Key' is named in id_column and label.column"),
    (MAPPING + "pii: [Outcome]\n", "'Outcome' is named in label.column and pii"),  # a traceback (IndexError) before
    (MAPPING + "timestamp: Visits\ndrop: [Visits]\n", "'Visits' is named in timestamp and drop"),
    (MAPPING + "name: other\n", "key 'name' is given twice"),  # YAML kept the last one silently
])
def test_a_column_with_two_roles_or_a_key_given_twice_is_refused(tmp_path, mapping_text, message):
    result = _import(tmp_path, mapping_text=mapping_text)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_an_export_without_an_id_column_numbers_its_rows_and_warns(tmp_path):
    no_id = "\n".join(",".join(line.split(",")[1:]) for line in EXPORT.splitlines()) + "\n"
    refused = _import(tmp_path, export_text=no_id, mapping_text=MAPPING.replace("Lead Key", "No Such Column"))
    assert refused.returncode == 2 and "'No Such Column'" in refused.stderr  # a named id must exist: no silent numbering
    result = _import(tmp_path, export_text=no_id, mapping_text=MAPPING.replace("id_column: Lead Key", "id_column: null"))
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stdout and "leads are numbered by their row in the file" in result.stdout
    assert "40 landed = 40 loaded" in result.stdout
    with_id = _import(tmp_path, mapping_text=MAPPING)
    assert with_id.returncode == 0 and "WARNING" not in with_id.stdout  # quiet when the export has its id


def test_the_row_number_is_the_id_and_a_duplicate_line_is_not_a_conflict(tmp_path):
    export = tmp_path / "no_id.csv"
    export.write_text("Outcome,Source\nWon,a\nLost,b\nLost,b\n")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("name: crm\nid_column: null\nlabel: {column: Outcome, positive: [Won], negative: [Lost]}\n")
    loaded = load_mapping(mapping, export)
    conformed = conform(read_export(export, loaded.csv), loaded)
    assert conformed.valid.column("_row_id").to_pylist() == ["1", "2", "3"] and conformed.quarantined.num_rows == 0
    assert [c.original for c in conformed.by_role("id")] == ["(row number)"]


def _wrapped(line: str) -> str:
    return '"' + line.replace('"', '""') + '"'


def test_an_export_whose_every_line_is_wrapped_in_quotes_is_read_as_its_lines(tmp_path):
    """A spreadsheet re-saving a semicolon export quotes each whole line: `"Lead Key;""Outcome"";..."`."""
    lines = [line.replace(",", ";") for line in EXPORT.splitlines()]
    lines = [lines[0].replace("Source", '"Source"')] + [line.replace(";a;", ';"a;x";') for line in lines[1:]]
    wrapped = "\ufeff" + "\n".join(_wrapped(line) for line in lines) + "\n"
    result = _import(tmp_path, export_text=wrapped, mapping_text=MAPPING + "csv: {delimiter: ';'}\n")
    assert result.returncode == 0, result.stderr
    assert "every line is wrapped in one pair of quotes" in result.stdout and "40 landed = 40 loaded" in result.stdout
    assert "source (categorical)" in result.stdout and "visits (numeric)" in result.stdout
    plain = _import(tmp_path, export_text="\n".join(lines) + "\n", mapping_text=MAPPING + "csv: {delimiter: ';'}\n")
    assert plain.returncode == 0 and "wrapped" not in plain.stdout  # quiet on an ordinary file, quoted values and all


def test_the_unwrapped_values_are_the_values_the_plain_file_holds(tmp_path):
    from lead_scoring.flat.mapping import CsvSpec

    plain = 'id;note;n\nk1;"a;b";1\nk2;"say ""hi""";2\nk3;plain;3\n'
    (tmp_path / "plain.csv").write_text(plain)
    (tmp_path / "wrapped.csv").write_text("\n".join(_wrapped(line) for line in plain.splitlines()) + "\n")
    spec = CsvSpec(delimiter=";")
    wrapped = read_export(tmp_path / "wrapped.csv", spec)
    assert wrapped.table.equals(read_export(tmp_path / "plain.csv", spec).table)
    assert wrapped.path == tmp_path / "wrapped.csv" and wrapped.notes and not wrapped.unparsed
