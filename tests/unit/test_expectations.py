"""The Great Expectations project: in sync with the code, quiet on clean data, loud on bad data."""

import shutil
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pyarrow as pa
import pytest

from lead_scoring.ml.features import feature_contract
from lead_scoring.quality import validation
from lead_scoring.quality.gx_project import GX_PROJECT_DIR, GxProject
from lead_scoring.quality.suites import all_suites
from lead_scoring.settings import Settings
from lead_scoring.simulator.generator import CrmSimulator
from lead_scoring.warehouse import Warehouse

DAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return GxProject(tmp_path_factory.mktemp("gx_home"))


@pytest.fixture(scope="module")
def leads():
    sim = CrmSimulator(DAY, leads_per_day=300, seed=4)
    rows = sim.next_day()[1]["leads"]
    return rows.append_column("_landed_date", pa.array([DAY] * rows.num_rows, pa.date32()))


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file() and "uncommitted" not in p.parts}


def test_committed_suites_match_the_code(tmp_path):
    copy = tmp_path / "expectations"
    shutil.copytree(GX_PROJECT_DIR, copy)
    before = _files(copy)
    GxProject(tmp_path / "home", project_dir=copy).sync(all_suites(feature_contract(Settings.from_env().dbt_manifest_path)))
    assert _files(copy) == before, "expectations/ is out of date: run `lead-scoring quality-sync` and commit"


def _params():
    return {"min_ts": validation.COMPANY_FOUNDED,
            "max_ts": datetime(2030, 1, 1), "rows_min": 0, "rows_max": 1e9}


def test_clean_leads_pass(project, leads):
    outcome = validation.validate_raw(project, "leads", [leads], _params())
    assert outcome.success, [f.sentence("raw.leads") for f in outcome.failures]
    assert outcome.docs_url and outcome.docs_url.startswith("file://")
    page = Path(unquote(urlparse(outcome.docs_url).path))
    assert not page.exists()  # built once per batch of validations, not per checkpoint
    project.publish_docs()
    assert page.exists() and any((folder / "index.html").exists() for folder in page.parents)


def test_duplicated_leads_fail_with_their_ids(project, leads):
    outcome = validation.validate_raw(project, "leads", [pa.concat_tables([leads, leads.slice(0, 3)])], _params())
    assert not outcome.success
    (failure,) = [f for f in outcome.failures if f.expectation == "expect_compound_columns_to_be_unique"]
    assert failure.column == "lead_id+_landed_date" and failure.unexpected_count == 6
    assert set(failure.sample_ids) == set(leads["lead_id"].to_pylist()[:3])
    assert "raw.leads.lead_id+_landed_date" in failure.sentence("raw.leads")


def test_row_count_outside_the_trailing_band_fails(project, leads):
    outcome = validation.validate_raw(project, "leads", [leads], {**_params(), "rows_min": 10 * leads.num_rows, "rows_max": 20 * leads.num_rows})
    assert [f.expectation for f in outcome.failures] == ["expect_table_row_count_to_be_between"]


def _feature_frame(features, n=200):
    from lead_scoring.quality.domains import DOMAINS

    columns = {"lead_id": [f"L{i}" for i in range(n)]}
    for f in features:
        if f.feature_type == "categorical":
            columns[f.name] = [DOMAINS[f.name][0]] * n
        elif f.feature_type == "boolean":
            columns[f.name] = [True] * n
        else:
            columns[f.name] = [float(1 + i % 7) for i in range(n)]
    return pd.DataFrame(columns)


def test_features_suite_flags_a_null_burst_against_the_training_reference(project, tmp_path):
    features = feature_contract(Settings.from_env().dbt_manifest_path)
    wh = Warehouse(tmp_path / "wh.duckdb")
    clean = _feature_frame(features)
    validation.write_reference(wh, clean, features)
    assert all(o.success for _, o in validation.validate_features(project, wh, clean, features))

    burst = clean.copy()
    burst.loc[burst.index[:180], "industry"] = None
    outcomes = validation.validate_features(project, wh, burst, features)
    failures = [f for _, o in outcomes for f in o.failures]
    assert [(f.expectation, f.column) for f in failures] == [("expect_column_proportion_of_non_null_values_to_be_between", "industry")] * len(outcomes)
    assert failures[0].observed == pytest.approx(0.1)


def test_the_data_docs_index_lists_a_bounded_number_of_results(project):
    """The index reads every result it lists on every build; unbounded, a daily build grew to 2.2 s after 120 days."""
    builder = project.context.variables.data_docs_sites["local_site"]["site_index_builder"]
    assert 7 * 28 <= builder["validation_results_limit"] <= 7 * 31  # about a month of daily runs (7 suites a day)
