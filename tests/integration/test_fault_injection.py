"""For each fault scenario: the named check fails with its message; training, promotion and
scoring do not run; the champion, the last good scores and earlier raw days are unchanged."""

import pandas as pd
import pytest

from tests.integration import faults

pytestmark = pytest.mark.integration

DAILY_FAULTS = {
    # scenario: (check that must fail, words its message must contain)
    "schema_change": ("source_contract", "'lead_source' is missing (renamed to 'source_channel'?)"),
    "corrupt_file": ("source_contract", "cannot be read as Parquet"),
    "orphan_activities": ("quarantined_share_within_limit", "quarantine.activities"),
    "duplicate_leads": ("great_expectations", "expect_compound_columns_to_be_unique on raw.leads.lead_id+_landed_date"),
    "future_events": ("great_expectations", "expect_column_values_to_be_between on raw.activities.occurred_at"),
    "null_burst": ("great_expectations", "expect_column_values_to_not_be_null on raw.leads.industry"),
}


@pytest.fixture()
def good_home(demo_settings, tmp_path):
    return faults.copy_home(demo_settings, tmp_path / "home")


def assert_nothing_lost(settings, before: faults.Snapshot, first_bad_day) -> None:
    after = faults.snapshot(settings, first_bad_day)
    assert after.champion == before.champion
    assert after.raw_counts == before.raw_counts
    pd.testing.assert_frame_equal(after.scores, before.scores)


@pytest.mark.parametrize("scenario", sorted(DAILY_FAULTS))
def test_a_bad_landing_day_is_stopped_by_its_check(good_home, scenario):
    check, message = DAILY_FAULTS[scenario]
    (bad_day,) = faults.land_days(good_home, scenario)
    before = faults.snapshot(good_home, bad_day)
    result = faults.run_job(good_home, "daily_scoring", partition_key=bad_day.isoformat())
    assert not result.success
    failed = faults.failed_checks(result)
    assert check in failed and message in failed[check], failed
    assert "lead_scores" not in faults.materialized(result)
    assert_nothing_lost(good_home, before, bad_day)
    # a blocked day leaves nothing of itself in raw, whichever check blocked it
    assert {t: len(rows) for t, rows in faults.rows_landed_on(good_home, bad_day).items()} == dict.fromkeys(before.raw_counts, 0)


def test_a_clean_landing_day_passes_every_check(good_home):
    (day,) = faults.land_days(good_home, "clean")
    result = faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat())
    assert result.success and faults.failed_checks(result) == {}
    assert "lead_scores" in faults.materialized(result)
    late = faults.check_evaluations(result)[("raw/activities", "late_arrivals")]
    assert late.passed and late.metadata["late_rows"].value == 0 and late.metadata["rows"].value > 0


def test_a_re_landed_day_that_fails_its_checks_keeps_its_last_good_load(good_home):
    (day,) = faults.land_days(good_home, "clean")
    assert faults.run_job(good_home, "ingestion", partition_key=day.isoformat()).success
    good = faults.rows_landed_on(good_home, day)
    assert len(good["activities"]) > 0
    faults.land_days(good_home, "orphan_activities", extra_days=0, from_day=(day - faults.first_day(good_home)).days)
    result = faults.run_job(good_home, "ingestion", partition_key=day.isoformat())
    assert not result.success and "quarantined_share_within_limit" in faults.failed_checks(result)
    after = faults.rows_landed_on(good_home, day)
    for table, rows in good.items():
        pd.testing.assert_frame_equal(after[table], rows)


def test_a_late_backlog_warns_and_is_loaded(good_home):
    """200 activities from three weeks ago land today: a warning with the volume, not a stop."""
    from lead_scoring.simulator.scenarios import LATE_ACTIVITIES

    (day,) = faults.land_days(good_home, "late_activities")
    result = faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat())
    assert result.success and "lead_scores" in faults.materialized(result)
    assert set(faults.failed_checks(result)) == {"late_arrivals"}
    checks = faults.check_evaluations(result)
    late = checks[("raw/activities", "late_arrivals")]
    assert not late.passed and late.severity.name == "WARN"
    assert late.metadata["late_rows"].value == LATE_ACTIVITIES
    assert late.metadata["late_share"].value == LATE_ACTIVITIES / late.metadata["rows"].value
    assert f"{LATE_ACTIVITIES} of {late.metadata['rows'].value} rows of raw.activities" in late.description
    assert checks[("raw/conversions", "late_arrivals")].passed and checks[("raw/consents", "late_arrivals")].passed
    assert len(faults.rows_landed_on(good_home, day)["activities"]) == late.metadata["rows"].value


def test_withdrawn_consent_is_caught_then_purged(good_home):
    """Withdrawals land after yesterday's scores: the consent check on the scores fails until the
    next scoring run, which purges every score of those leads (and the check passes again)."""
    from lead_scoring.quality import guards
    from lead_scoring.warehouse import Warehouse

    (day,) = faults.land_days(good_home, "consent_revoked")
    assert faults.run_job(good_home, "ingestion", partition_key=day.isoformat()).success
    stale = faults.run_checks(good_home, "scoring.lead_scores")
    assert "no_withdrawn_consent" in faults.failed_checks(stale)
    assert "have withdrawn consent" in faults.failed_checks(stale)["no_withdrawn_consent"]

    result = faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat())
    assert result.success and faults.failed_checks(result) == {}
    assert guards.withdrawn_consent(Warehouse(good_home.warehouse_path), "scoring.lead_scores").empty


def test_a_withdrawn_lead_is_in_no_training_set_and_no_score(good_home):
    """Privacy: after a withdrawal lands, the next scoring and the next retrain hold nothing of the lead: not a
    score of any day, not a snapshot, not a row of the training set (the training and drift references hold no
    lead ids). The leads were in the scores, the snapshots and the training set before, so the test can fail."""
    from lead_scoring import tables
    from lead_scoring.quality import guards
    from lead_scoring.warehouse import Warehouse

    wh = Warehouse(good_home.warehouse_path)
    holding = (tables.SCORES, tables.TRAINING_SET, "marts.lead_snapshots", "marts.lead_features_current")

    def rows_of(leads: set[str]) -> dict[str, int]:
        marks = ", ".join("?" * len(leads))
        return {table: int(wh.query(f"select count(*) as n from {table} where lead_id in ({marks})", sorted(leads)).n.iloc[0])
                for table in holding}

    (day,) = faults.land_days(good_home, "consent_revoked")
    assert faults.run_job(good_home, "ingestion", partition_key=day.isoformat()).success
    withdrawn = guards.withdrawn_consent_ids(wh, wh.query(f"select distinct lead_id from {tables.TRAINING_SET}").lead_id)
    assert len(withdrawn) >= 10
    before = rows_of(withdrawn)
    assert all(before[table] > 0 for table in (tables.SCORES, tables.TRAINING_SET, "marts.lead_snapshots")), before

    assert faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat()).success
    assert faults.run_job(good_home, "retrain").success
    assert rows_of(withdrawn) == dict.fromkeys(holding, 0)


def test_a_feature_filled_in_after_the_outcome_blocks_training(good_home):
    """Sales re-enter converted leads with a tell-tale lead_source: the leakage scan stops the retrain."""
    days = faults.land_days(good_home, "leaky_feature", extra_days=0, from_day=0)
    before = faults.snapshot(good_home, days[0])
    assert faults.run_job(good_home, "ingestion", tags=faults.range_tags(days)).success
    result = faults.run_job(good_home, "retrain")
    assert not result.success
    failed = faults.failed_checks(result)
    assert "no_label_leakage" in failed and "lead_source" in failed["no_label_leakage"], failed
    assert not {"candidate_model", "model_promotion"} & faults.materialized(result)
    after = faults.snapshot(good_home, days[0])
    assert after.champion == before.champion
    pd.testing.assert_frame_equal(after.scores, before.scores)
