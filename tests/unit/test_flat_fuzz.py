"""Bounded property-based tests of the flat import's input paths: 0 tracebacks, 0 executions.

Arbitrary headers, values, delimiters and mapping files go through the mapping
loader, the reader and the conformer: each either succeeds or raises the
product's own error (the CLI prints it as one line, exit code 2). Arbitrary
text through ``jinja_literal`` renders back to itself, and no function of the
template environment (``env_var``, ``run_query``...) is ever called.
"""

import csv
import io
import re

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lead_scoring.errors import LeadScoringError
from lead_scoring.flat import conform, literal
from lead_scoring.flat.mapping import load_mapping
from lead_scoring.flat.reader import read_export
from tests.hostile import CORPUS

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
texts = st.one_of(st.sampled_from(CORPUS), st.text(max_size=40))
scalars = st.one_of(texts, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                    st.lists(texts, max_size=3), st.dictionaries(texts, texts, max_size=2))


def _calls_recorded():
    calls = []

    def record(name):
        return lambda *args, **kwargs: calls.append(name) or ""

    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    environment.globals.update({name: record(name) for name in ("env_var", "run_query", "var", "config", "ref", "source", "doc")})
    return environment, calls


@BOUNDED
@given(st.one_of(st.sampled_from(CORPUS), st.text()))
def test_any_text_renders_back_to_itself_and_runs_nothing(text):
    environment, calls = _calls_recorded()
    assert environment.from_string(literal.jinja_literal(text)).render() == text
    assert calls == []


def test_the_execution_probe_sees_a_call_when_text_is_not_escaped():
    environment, calls = _calls_recorded()
    environment.from_string("{{ env_var('X') }}{% do run_query('select 1') %}").render()
    assert calls == ["env_var", "run_query"]


@BOUNDED
@given(st.lists(texts, min_size=1, max_size=30))
def test_internal_names_are_distinct_sql_safe_and_fit_postgres(originals):
    names = literal.internal_names(list(dict.fromkeys(originals)))
    assert len(set(names.values())) == len(names)
    for name in names.values():
        assert re.fullmatch(r"\w+", name) and not name[0].isdigit() and len(name.encode()) <= 63
        assert name not in literal.GENERATED_NAMES


def _export(tmp_path, header, rows, delimiter) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@BOUNDED
@given(
    header=st.lists(texts, min_size=1, max_size=6, unique=True),
    cells=st.lists(st.lists(texts, min_size=0, max_size=7), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    extra=st.dictionaries(st.sampled_from(["csv", "types", "timestamp", "max_quarantine_share", "split_seed", "drop",
                                           "missing_tokens", "normalise", "path", "leakage_allow", "pii"]), scalars, max_size=3),
)
def test_any_export_and_mapping_import_or_fail_with_the_products_error(tmp_path_factory, header, cells, delimiter, extra):
    folder = tmp_path_factory.mktemp("fuzz")
    export = folder / "export.csv"
    export.write_text(_export(folder, header, cells, delimiter), encoding="utf-8", newline="")
    mapping_values = {"name": "fuzz", "id_column": header[0], "label": {"column": header[-1], "positive": ["1"], "negative": ["0"]},
                      "csv": {"delimiter": delimiter}, **extra}
    mapping = folder / "mapping.yml"
    mapping.write_text(yaml.safe_dump(mapping_values, allow_unicode=True), encoding="utf-8")
    try:
        loaded = load_mapping(mapping, export)
        raw = read_export(loaded.path, loaded.csv)
        conformed = conform.conform(raw, loaded)
        conform.check_quarantine_share(conformed, loaded, loaded.path)
    except LeadScoringError as error:
        assert str(error) and "Traceback" not in str(error)


@pytest.mark.parametrize("entry", CORPUS)
def test_every_corpus_entry_as_a_mapping_or_export_file_name_is_only_a_name(tmp_path, entry):
    """File names never reach the generated project: it holds the mapping's digest, not its name."""
    from lead_scoring.flat import dbt_project
    from tests.hostile import safe_file_name

    export = tmp_path / safe_file_name(entry, ".csv")
    export.write_text("id,won,x\n1,1,a\n2,0,b\n3,1,c\n4,0,a\n")
    mapping = tmp_path / safe_file_name(entry, ".yml")
    mapping.write_text("name: crm\nid_column: id\nlabel: {column: won, positive: ['1'], negative: ['0']}\nmax_quarantine_share: 0.5\n")
    loaded = load_mapping(mapping, export)
    conformed = conform.conform(read_export(loaded.path, loaded.csv), loaded)
    project = dbt_project.write_project(tmp_path / "dbt", loaded, conformed.columns)
    generated = "".join(p.read_text() for p in (project / "models").rglob("*") if p.is_file())
    assert loaded.digest in generated
    assert mapping.name not in generated and export.name not in generated


@BOUNDED
@given(st.one_of(st.sampled_from(CORPUS), st.text(alphabet="`<>ab \n", max_size=20)))
def test_a_name_in_a_code_span_is_one_span_with_the_name_inside(text):
    span = literal.markdown_code(text)
    fence = re.match(r"`+", span).group()
    assert span == f"{fence} {text} {fence}" and fence not in text


def test_names_in_other_scripts_keep_their_meaning():
    """`国家` and `Спеціалізація` became `column` and `column_2`: now they keep their letters, accents folded."""
    names = literal.internal_names(["国家", "Спеціалізація", "Région d'origine", "🎯", "default", "exported_on", "1st touch"])
    assert names == {"国家": "国家", "Спеціалізація": "спеціалізація", "Région d'origine": "region_d_origine", "🎯": "column_4",
                     "default": "default", "exported_on": "exported_on_2", "1st touch": "c_1st_touch"}
