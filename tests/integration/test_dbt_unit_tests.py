"""dbt's unit tests of the feature SQL (dbt_project/models/marts/unit_tests.yml) pass on the shipped project, and
each fails on a copy of the project with the bug it is there to catch planted in the feature macros."""

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from lead_scoring.settings import DBT_PROJECT_DIR
from tests.integration.simulated import dbt_build, run_dbt, simulated_warehouse

pytestmark = pytest.mark.integration
START, DAYS = date(2026, 4, 6), 5
AS_OF = START + timedelta(days=DAYS)
# the unit test, and a bug it must catch: (macro file, shipped text, planted text)
MUTANTS = [
    ("activity_windows_are_whole_days_before_the_scoring_date",
     ("lead_features.sql", "when days_ago <= 7 then", "when days_ago < 7 then")),
    ("activity_type_counts_cover_the_30_days_before_the_scoring_date",
     ("lead_features.sql", "when days_ago <= 30 then {{ activity_type }}_count", "when days_ago <= 60 then {{ activity_type }}_count")),
    ("recency_counts_active_days_and_is_null_without_activity",
     ("lead_features.sql", "min(days_ago) as days_since_last_activity", "max(days_ago) as days_since_last_activity")),
    ("recency_counts_active_days_and_is_null_without_activity",  # a day with a late delivery counted twice
     ("lead_features.sql", "count(distinct case when days_ago <= 30 then days_ago end) as active_days_30d",
      "sum(case when days_ago <= 30 then 1 else 0 end) as active_days_30d")),
    ("features_read_only_what_had_landed_before_the_scoring_date",
     ("domain.sql", "({{ landed_date }} < {{ as_of_date }} and", "({{ landed_date }} <= {{ as_of_date }} and")),
    ("lead_age_and_campaign_come_from_the_lead_and_its_campaign_known_then",
     ("lead_features.sql", "and {{ known_at('campaigns._landed_date', 'campaigns._superseded_on', 'feature_spine.as_of_date') }}",
      "and campaigns._superseded_on is null")),
    ("only_open_consenting_unconverted_leads_are_scored",
     ("eligible_lead_dates.sql", "or first_conversion.first_converted_at >= {{ as_of_ts }}",
      "or first_conversion.first_converted_at > {{ as_of_ts }}")),
]


def unit_test_results(wh, target: Path, project: Path = DBT_PROJECT_DIR) -> dict[str, str]:
    """Each unit test's status (pass, fail) from `dbt test --select test_type:unit`."""
    run_dbt(wh, target, AS_OF, "test", "--select", "test_type:unit", project=project)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[-1]: r["status"] for r in results}


def mutant(folder: Path, macro_file: str, shipped: str, planted: str) -> Path:
    project = folder / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    macro = project / "macros" / macro_file
    sql = macro.read_text()
    assert sql.count(shipped) == 1, f"{macro_file} no longer has {shipped!r} once: update this test's mutant"
    macro.write_text(sql.replace(shipped, planted))
    return project


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """Unit tests read their inputs' column types from the warehouse: the project is built once first."""
    folder = tmp_path_factory.mktemp("dbt_unit")
    wh = simulated_warehouse(folder, START, DAYS, 10, seed=2)
    dbt_build(wh, folder / "target", AS_OF)
    return wh


def test_the_unit_tests_pass_on_the_shipped_feature_sql(warehouse, tmp_path):
    assert unit_test_results(warehouse, tmp_path / "target") == {name: "pass" for name, _ in MUTANTS}


@pytest.mark.parametrize("unit_test, bug", MUTANTS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(MUTANTS)])
def test_each_unit_test_catches_its_bug(warehouse, tmp_path, unit_test, bug):
    results = unit_test_results(warehouse, tmp_path / "target", project=mutant(tmp_path, *bug))
    assert results[unit_test] == "fail"
