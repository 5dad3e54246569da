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


def test_a_clean_landing_day_passes_every_check(good_home):
    (day,) = faults.land_days(good_home, "clean")
    result = faults.run_job(good_home, "daily_scoring", partition_key=day.isoformat())
    assert result.success and faults.failed_checks(result) == {}
    assert "lead_scores" in faults.materialized(result)
