"""Flat exports: mapping, reading, normalisation, quarantine; each guard fires on bad input and is quiet on good."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lead_scoring.flat.conform import ExportContentError, check_quarantine_share, conform
from lead_scoring.flat.mapping import MappingError, load_mapping
from lead_scoring.flat.reader import ExportFileError, read_export
from lead_scoring.ml import baseline, dataset
from lead_scoring.ml.features import Feature

GOOD = "\n".join([
    "Lead Key,Outcome,Source,Visits,Newsletter,Email",
    "a1,Won,Google,3,Yes,a@x.com",
    "a2,Lost, google ,1,No,b@x.com",
    "a3,Lost,Select,,No,c@x.com",
    "a4,,Referral,7,Yes,d@x.com",
    "a5,Won,REFERRAL,2,No,e@x.com",
]) + "\n"


def mapping_file(tmp_path: Path, **overrides) -> Path:
    lines = {
        "name": "name: crm",
        "id_column": "id_column: Lead Key",
        "label": "label: {column: Outcome, positive: [Won], negative: [Lost]}",
        "missing_tokens": 'missing_tokens: ["", Select]',
        "pii": "pii: [Email]",
        "max_quarantine_share": "max_quarantine_share: 0.5",
    }
    lines.update(overrides)
    path = tmp_path / "mapping.yml"
    path.write_text("\n".join(v for v in lines.values() if v) + "\n")
    return path


def load(tmp_path: Path, text: str = GOOD, encoding: str = "utf-8", **overrides):
    export = tmp_path / "export.csv"
    export.write_bytes(text.encode(encoding))
    mapping = load_mapping(mapping_file(tmp_path, **overrides), export)
    return mapping, conform(read_export(export, mapping.csv), mapping)


def test_good_export_loads_every_row_normalised_and_typed(tmp_path):
    mapping, result = load(tmp_path)
    assert result.quarantined.num_rows == 0 and result.valid.num_rows == 5
    column = lambda name: result.valid.column(name).to_pylist()
    assert column("source") == ["google", "google", None, "referral", "referral"]  # case, whitespace, Select
    assert column("outcome") == [1, 0, 0, None, 1]  # a lead without an outcome yet is kept (scored, not trained)
    assert column("newsletter") == [1.0, 0.0, 0.0, 1.0, 0.0]
    types = {c.original: (c.role, c.feature_type) for c in result.columns}
    assert types["Visits"] == ("feature", "numeric") and types["Newsletter"] == ("feature", "boolean")
    assert types["Email"] == ("pii", None) and column("email")[0] == "a@x.com"  # PII untouched, in raw only


@pytest.mark.parametrize("missing", ["Lead Key", "Outcome"])
def test_missing_id_or_label_column_is_an_error_naming_file_and_column(tmp_path, missing):
    text = GOOD.replace(missing, "Renamed")
    with pytest.raises(ExportContentError, match=rf"export.csv: column\(s\) \['{missing}'\].*mapping.yml"):
        load(tmp_path, text)


def test_bad_rows_are_quarantined_with_their_reason_and_good_rows_kept(tmp_path):
    text = GOOD + "\n".join([
        "a6,Maybe,Google,1,No,f@x.com",      # label outside the declared values
        ",Won,Google,1,No,g@x.com",          # missing id
        "a1,Won,Google,3,Yes,a@x.com",       # exact repeat of a1: one copy kept
        "a7,Won,Google,2,No,h@x.com",
        "a7,Lost,Google,2,No,h@x.com",       # conflicting rows for a7: both out
        "a8,Won,Google,many,No,i@x.com",     # number that does not parse
        "a9,Won,Google,1,No",                # too few fields
    ]) + "\n"
    _, result = load(tmp_path, text, types="types: {Visits: numeric}")
    reasons = dict(zip(result.quarantined.column("lead_key").to_pylist(), result.quarantined.column("_reason").to_pylist()))
    assert reasons["a6"] == "label 'Outcome' outside the declared values"
    assert "missing id 'Lead Key'" in result.quarantined.column("_reason").to_pylist()
    assert "a1" in reasons and reasons["a1"].startswith("duplicate row")
    assert list(result.quarantined.column("lead_key").to_pylist()).count("a7") == 2
    assert reasons["a8"] == "unparseable numeric value in 'Visits'"
    unparsed = [row for row in result.quarantined.to_pylist() if "did not parse" in row["_reason"]]
    # The line's text is kept in the first column, not in the reason that error messages print.
    assert len(unparsed) == 1 and unparsed[0]["lead_key"] == "a9,Won,Google,1,No" and "a9" not in unparsed[0]["_reason"]
    rows = dict(zip(result.quarantined.column("_reason").to_pylist(), result.quarantined.column("_row").to_pylist()))
    assert unparsed[0]["_row"] == 12 and rows["unparseable numeric value in 'Visits'"] == 11  # position after the header
    assert sorted(result.valid.column("lead_key").to_pylist()) == ["a1", "a2", "a3", "a4", "a5"]
    assert result.valid.num_rows + result.quarantined.num_rows == 12  # landed = loaded + quarantined


def test_too_many_bad_rows_stop_the_import_with_the_reasons(tmp_path):
    text = GOOD + "".join(f"b{i},Maybe,Google,1,No,x@x.com\n" for i in range(10))
    mapping, result = load(tmp_path, text)
    with pytest.raises(ExportContentError, match=r"10 of 15 rows .*quarantined.*label 'Outcome' outside"):
        check_quarantine_share(result, mapping, "export.csv")
    _, good = load(tmp_path)
    check_quarantine_share(good, mapping, "export.csv")  # quiet on good input


def test_encoding_is_detected_and_a_wrong_declared_encoding_is_named(tmp_path):
    text = GOOD.replace("Referral", "Référence")
    _, result = load(tmp_path, text, encoding="cp1252")
    assert "référence" in result.valid.column("source").to_pylist()
    with pytest.raises(ExportFileError, match=r"export.csv is not utf-8: the byte at offset \d+ \(line 5\)"):
        load(tmp_path, text, encoding="cp1252", csv='csv: {encoding: utf-8}')


def test_mapping_errors_name_the_file_and_key(tmp_path):
    with pytest.raises(MappingError, match="mapping.yml: `id_column` is required"):
        load_mapping(mapping_file(tmp_path, id_column=""))
    with pytest.raises(MappingError, match=r"unknown keys \['colour'\]"):
        load_mapping(mapping_file(tmp_path, extra="colour: red"))
    with pytest.raises(MappingError, match=r"label.positive: \[True\] holds a YAML boolean; quote the values"):
        load_mapping(mapping_file(tmp_path, label="label: {column: Outcome, positive: [yes], negative: ['no']}"))
    with pytest.raises(MappingError, match="both positive and negative"):
        load_mapping(mapping_file(tmp_path, label="label: {column: Outcome, positive: [Won], negative: [Won]}"))


def _frame(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"lead_id": [f"l{i:05d}" for i in range(n)], "lead_created_date": pd.NaT,
                         dataset.LABEL: (rng.random(n) < 0.3).astype(int)})


def test_stratified_split_keeps_the_rate_is_seeded_and_ignores_row_order():
    frame = _frame(2000)
    plan = dataset.plan_split(frame, seed=11)
    assert plan.as_dict() == {"split_method": "stratified_random", "split_seed": "11"}
    split = plan.assign(frame)
    rates = frame[dataset.LABEL].groupby(split).mean()
    assert split.value_counts(normalize=True).round(2).to_dict() == {"train": 0.7, "validation": 0.15, "test": 0.15}
    assert (rates - frame[dataset.LABEL].mean()).abs().max() < 0.005
    shuffled = frame.sample(frac=1, random_state=1)
    assert plan.assign(shuffled).reindex(frame.index).equals(split)
    assert not dataset.StratifiedSplitPlan(12).assign(frame).equals(split)
    dated = frame.assign(lead_created_date=pd.date_range("2026-01-01", periods=2000, freq="h"))
    assert isinstance(dataset.plan_split(dated), dataset.SplitPlan)  # a timestamp: split in time


def test_generic_baseline_uses_the_best_feature_that_does_not_leak():
    frame = _frame(3000)
    rng = np.random.default_rng(5)
    y = frame[dataset.LABEL].to_numpy()
    frame["leak"] = np.where(y == 1, "won", "lost")
    frame["visits"] = rng.poisson(2 + 3 * y)
    frame["noise"] = rng.choice(["a", "b"], len(frame))
    features = [Feature("leak", "categorical", ""), Feature("visits", "numeric", ""), Feature("noise", "categorical", "")]
    rule = baseline.for_features(features).fit(frame, y)
    assert isinstance(rule, baseline.BestFeatureBaseline) and rule.feature == "visits"
    assert 0.0 < rule.predict_proba(frame).min() < rule.predict_proba(frame).max() < 1.0
    simulated = [Feature(n, "numeric", "") for n in baseline.ACTIVITY_POINTS] + [Feature("seniority", "categorical", "")]
    assert isinstance(baseline.for_features(simulated), baseline.RulesBaseline)
