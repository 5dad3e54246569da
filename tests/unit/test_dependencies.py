"""The libraries a model was trained with are compared with the ones that score: a change is named, none is quiet."""

from lead_scoring.ml import dependencies


def test_the_tracked_libraries_are_found_in_this_environment():
    versions = dependencies.installed()
    assert set(versions) == set(dependencies.TRACKED)
    assert dependencies.NOT_INSTALLED not in versions.values()


def test_an_upgrade_is_named_and_the_same_versions_are_quiet():
    now = dependencies.installed()
    recorded = dependencies.as_tags(now)
    assert dependencies.changes(recorded, now) == {}
    older = {**recorded, "library_scikit-learn": "1.5.0", "grade_band_A": "0.3"}
    assert dependencies.changes(older, now) == {"scikit-learn": ("1.5.0", now["scikit-learn"])}


def test_a_model_that_recorded_no_versions_is_not_compared():
    assert dependencies.changes({"grade_band_A": "0.3"}, dependencies.installed()) == {}
