"""The point-in-time recount (dbt_project/macros/mart_checks.sql) checks every feature of both marts against a
recount from the staging deliveries: quiet on the marts dbt builds, and a planted wrong value of any feature
family fails the dbt test, which names the row and the feature. On DuckDB and on Postgres."""

import re
from datetime import date, timedelta

import pytest

from lead_scoring.ml.features import feature_contract
from lead_scoring.settings import DBT_PROJECT_DIR
from lead_scoring.warehouse import Warehouse
from tests.integration.simulated import dbt_build, run_dbt, simulated_warehouse

pytestmark = pytest.mark.integration
START, DAYS = date(2026, 2, 2), 40
AS_OF = START + timedelta(days=DAYS)
RECOUNTS = {"lead_features_current": "assert_features_current_point_in_time", "lead_snapshots": "assert_snapshots_point_in_time"}
# (mart, feature, the wrong value as SQL of the right one, the rows it may be planted on): one per feature family
PLANTS = [
    ("lead_features_current", "activities_1d", "activities_1d + 1", "true"),
    ("lead_features_current", "activities_7d", "activities_7d + 1", "true"),
    ("lead_features_current", "email_click_30d", "email_click_30d + 1", "true"),
    ("lead_features_current", "active_days_30d", "active_days_30d + 1", "active_days_30d < 30"),
    ("lead_features_current", "days_since_last_activity", "days_since_last_activity + 1", "days_since_last_activity is not null"),
    ("lead_features_current", "days_since_created", "days_since_created - 1", "true"),
    ("lead_features_current", "seniority", "'planted'", "true"),
    ("lead_features_current", "campaign_channel", "'planted'", "campaign_channel is not null"),
    ("lead_snapshots", "activities_all_time", "activities_all_time + 1", "true"),
    ("lead_snapshots", "activities_30d", "activities_30d - 1", "activities_30d > 0"),
    ("lead_snapshots", "has_campaign", "not has_campaign", "true"),
]


def recount(wh: Warehouse, folder) -> tuple[int, dict[tuple[str, str, str], str]]:
    """The dbt tests' exit code and the rows they returned: (mart, lead, as_of_date) -> the features named wrong."""
    result = run_dbt(wh, folder / "target", AS_OF, "test", "--select", *RECOUNTS.values(), "--store-failures")
    failures = {}
    for test in RECOUNTS.values():
        if wh.table_exists(f"dbt_test__audit.{test}"):
            for row in wh.query(f"select * from dbt_test__audit.{test}").itertuples():
                failures[(row.mart, row.lead_id, str(row.as_of_date)[:10])] = row.wrong_features
    return result.returncode, failures


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_a_planted_wrong_value_of_any_feature_fails_the_recount(tmp_path, engine):
    from tests.postgres import fresh_databases

    def test(wh: Warehouse) -> None:
        dbt_build(wh, tmp_path / "target", AS_OF)
        assert recount(wh, tmp_path) == (0, {})
        # the recount compares every feature of the contract: a feature added to the marts must be added to it
        compiled = next((tmp_path / "target" / "compiled").rglob("assert_features_current_point_in_time.sql")).read_text()
        compared = set(re.findall(r"then '(\w+) ?' else ''", compiled))
        assert compared - {"lead_not_known_at_as_of_date"} == {f.name for f in feature_contract(DBT_PROJECT_DIR / "target" / "manifest.json")}

        planted = {}
        for mart, feature, wrong, where in PLANTS:
            taken = [lead for (m, lead, _) in planted if m == mart]
            row = wh.query(f"select lead_id, as_of_date from marts.{mart} where {where} "
                           f"{'and lead_id not in (' + ', '.join('?' * len(taken)) + ')' if taken else ''} "
                           "order by lead_id, as_of_date limit 1", taken).iloc[0]
            wh.execute(f"update marts.{mart} set {feature} = {wrong} where lead_id = ? and as_of_date = ?",
                       [row.lead_id, row.as_of_date])
            planted[(mart, row.lead_id, str(row.as_of_date)[:10])] = feature
        returncode, failures = recount(wh, tmp_path)
        assert returncode == 1
        assert failures == planted

    if engine == "duckdb":
        test(simulated_warehouse(tmp_path / "raw", START, DAYS, 30, seed=5))
    else:
        with fresh_databases("ls_recount", "warehouse") as urls:
            test(simulated_warehouse(tmp_path / "raw", START, DAYS, 30, seed=5, location=urls["warehouse"]))
