"""Drift, live performance, freshness and trigger statistics, without Dagster: each guard both ways."""

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from lead_scoring.policies import DriftPolicy, RetrainPolicy
from lead_scoring.simulator.schema import RAW_TABLES
from lead_scoring.monitoring import drift, freshness, performance, triggers
from lead_scoring.simulator import landing

RNG = np.random.default_rng(0)


def _frame(n: int, shift: float = 0.0, new_category_share: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channel = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    channel[rng.random(n) < new_category_share] = "brand_new"
    return pd.DataFrame({"activity": rng.poisson(3.0 + shift, n).astype(float), "channel": channel})


KINDS = {"activity": "numeric", "channel": "categorical"}


@pytest.mark.parametrize("reference_rows, tests", [(800, {"ks", "chi2"}), (5000, {"wasserstein", "jensen_shannon"})])
def test_same_world_is_ok_and_the_test_follows_the_reference_size(reference_rows, tests):
    found = drift.feature_drift(_frame(reference_rows, seed=1), _frame(400, seed=2), KINDS)
    assert {f.test for f in found} == tests
    assert all(f.psi < DriftPolicy().psi_moderate for f in found)
    assert {f.severity for f in found} == {"ok"}


@pytest.mark.parametrize("reference_rows", [800, 5000])
def test_shifted_numeric_and_new_category_are_significant(reference_rows):
    found = {f.feature: f for f in drift.feature_drift(_frame(reference_rows, seed=1), _frame(400, shift=2.0, new_category_share=0.3, seed=2), KINDS)}
    assert found["activity"].severity == "error" and found["activity"].psi > DriftPolicy().psi_significant
    assert found["channel"].severity == "error" and found["channel"].psi > DriftPolicy().psi_significant
    if reference_rows <= DriftPolicy().small_reference_rows:
        assert found["channel"].p_value < 0.05
    else:
        assert found["channel"].statistic >= DriftPolicy().distance and found["channel"].p_value is None


def test_missing_values_count_as_their_own_bin():
    reference = _frame(2000, seed=1)
    current = _frame(400, seed=2)
    current.loc[current.index[:200], "activity"] = np.nan  # half the values stop arriving
    found = {f.feature: f for f in drift.feature_drift(reference, current, KINDS)}
    assert found["activity"].psi > DriftPolicy().psi_significant


def test_prediction_drift_and_severity():
    reference = RNG.beta(2, 8, 3000)
    assert drift.prediction_drift(reference, RNG.beta(2, 8, 500))[1] == "ok"
    psi, level = drift.prediction_drift(reference, RNG.beta(5, 5, 500))
    assert level == "error" and psi > DriftPolicy().psi_significant
    assert drift.worst(["ok", "warn"]) == "warn" and drift.worst([]) == "ok"


def test_sampling_noise_of_a_small_day_is_not_drift():
    """60 rows of the same world: PSI is inflated by sampling alone; the noise floor keeps it quiet."""
    levels = [f.severity for seed in range(20) for f in drift.feature_drift(_frame(5000, seed=1), _frame(60, seed=seed + 10), KINDS)]
    assert levels.count("ok") == len(levels)
    new = {f.feature: f for f in drift.feature_drift(_frame(5000, seed=1), _frame(60, new_category_share=0.3, seed=3), KINDS)}
    assert new["channel"].severity == "error"


def _labelled(n: int, signal: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.beta(1.5, 8, n)
    label = (rng.random(n) < truth).astype(int)
    noisy = np.clip(signal * truth + (1 - signal) * rng.permutation(truth), 0, 1)
    return label, noisy


def test_live_performance_holds_for_a_good_model_and_decays_for_a_bad_one():
    label, probability = _labelled(4000, 1.0)
    from sklearn.metrics import roc_auc_score

    test_auc = roc_auc_score(label, probability)
    good = performance.window_performance(7, label, probability, test_auc)
    assert good.severity == "ok" and abs(good.roc_auc - test_auc) < 1e-9 and good.calibration_error < 0.05
    label, probability = _labelled(4000, 0.2, seed=1)
    decayed = performance.window_performance(7, label, probability, test_auc)
    assert decayed.severity == "error" and decayed.roc_auc < test_auc - performance.AUC_DROP_ERROR


def _served(signal: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Young leads (ages 1 and 8) ranked with ``signal``, beside old leads that rarely convert and score low."""
    label, probability = _labelled(3000, signal, seed=seed)
    rng = np.random.default_rng(seed)
    old_label = (rng.random(6000) < 0.01).astype(int)
    old_probability = rng.uniform(0.0, 0.03, 6000)
    ages = np.concatenate([rng.choice([1, 8], 3000), rng.integers(36, 90, 6000)])
    return np.concatenate([label, old_label]), np.concatenate([probability, old_probability]), ages


def test_age_matched_weights_give_the_test_rows_age_mix():
    weight = performance.age_matched_weights(np.array([1, 1, 1, 8, 50]), pd.Series({1: 60.0, 8: 40.0}))
    assert weight.tolist() == pytest.approx([0.2, 0.2, 0.2, 0.4, 0.0])


def test_decay_of_young_leads_shows_once_the_served_scores_match_the_test_ages():
    from sklearn.metrics import roc_auc_score

    test_label, test_probability = _labelled(3000, 1.0, seed=3)
    test_auc = roc_auc_score(test_label, test_probability)
    test_ages = pd.Series({1: 1600.0, 8: 1400.0})
    for signal, expected in ((1.0, "ok"), (0.2, "error")):
        label, probability, ages = _served(signal, seed=4)
        # Unweighted, the old leads' easy negatives lift the AUC over the test AUC whatever the young leads' ranking.
        assert performance.window_performance(7, label, probability, test_auc).severity == "ok"
        matched = performance.window_performance(7, label, probability, test_auc, performance.age_matched_weights(ages, test_ages))
        assert matched.severity == expected, (signal, matched)
        assert matched.labelled_rows == 3000


def test_too_few_matured_labels_give_no_verdict():
    label, probability = _labelled(100, 0.0)
    verdict = performance.window_performance(7, label, probability, 0.9)
    assert verdict.roc_auc is None and verdict.severity == "ok" and verdict.labelled_rows == 100


def test_miscalibrated_scores_are_flagged():
    label, probability = _labelled(4000, 1.0)
    from sklearn.metrics import roc_auc_score

    verdict = performance.window_performance(28, label, np.clip(probability * 3, 0, 1), roc_auc_score(label, probability))
    assert verdict.calibration_error > performance.CALIBRATION_ERROR and verdict.severity == "error"


def test_labels_count_only_conversions_inside_the_window():
    scores = pd.DataFrame({"lead_id": ["a", "b", "c", "d"], "as_of_date": [date(2026, 3, 1)] * 4})
    conversions = pd.DataFrame({"lead_id": ["a", "b", "c"], "converted_at": pd.to_datetime(["2026-03-01 08:00", "2026-03-31 00:00", "2026-02-28 23:00"])})
    assert performance.label_scores(scores, conversions).tolist() == [1, 0, 0, 0]
    assert performance.matured_score_dates(date(2026, 4, 30), 7) == (date(2026, 3, 25), date(2026, 3, 31))


def test_source_freshness_flags_a_source_that_stopped_landing(tmp_path):
    import pyarrow as pa

    day = date(2026, 3, 10)
    for table in RAW_TABLES:
        for offset in range(3):
            if table == "activities" and offset == 0:
                continue  # the activities file of the 10th never lands
            landing.write_table(tmp_path, table, day - timedelta(days=offset), pa.table({"x": [1]}))
    found = {f.source: f for f in freshness.source_freshness(tmp_path, day)}
    assert found["activities"].severity == "error" and found["activities"].lag_days == 1
    assert {f.severity for s, f in found.items() if s != "activities"} == {"ok"}
    assert freshness.source_freshness(tmp_path, day - timedelta(days=1))[1].severity == "ok"
    assert freshness.latest_landed_day(tmp_path) == day
    never = freshness.source_freshness(tmp_path / "empty", day)
    assert {f.severity for f in never} == {"error"} and never[0].last_landed_day is None


def test_a_flat_export_is_fresh_for_a_week_after_its_import():
    imported = date(2026, 3, 10)
    assert freshness.export_freshness("crm", imported, imported).severity == "ok"
    assert freshness.export_freshness("crm", imported, imported + timedelta(days=7)).severity == "ok"
    stale = freshness.export_freshness("crm", imported, imported + timedelta(days=8))
    assert stale.severity == "error" and stale.lag_days == 8 and "flat_export:crm" in stale.sentence()


TODAY = date(2026, 5, 20)


def _state(days=(), signal="feature_drift", last_retrain=None, trained=date(2026, 5, 15), stale=()):
    return triggers.MonitoringState(TODAY, {signal: {TODAY - timedelta(days=d) for d in days}}, last_retrain, trained, "3", list(stale))


POLICY = RetrainPolicy()


def test_drift_triggers_only_when_it_holds_on_n_of_m_days():
    assert not triggers.drift_decision(_state([0]), POLICY).launch  # one noisy day
    assert not triggers.drift_decision(_state([0, 5]), POLICY).launch  # not within the last 3 days
    decision = triggers.drift_decision(_state([0, 2]), POLICY)
    assert decision.launch and decision.trigger == "drift:feature_drift"
    assert triggers.drift_decision(_state([0, 1], signal="performance_decay"), POLICY).trigger == "decay:performance_decay"


def test_no_drift_retrain_in_cool_down_nor_on_stale_data_nor_on_days_before_the_last_retrain():
    assert "cool-down" in triggers.drift_decision(_state([0, 1], last_retrain=TODAY - timedelta(days=3)), POLICY).reason
    assert "fresh data" in triggers.drift_decision(_state([0, 1], stale=["activities"]), POLICY).reason
    # the last retrain was 8 days ago (cool-down over); days 9 and 10 ago do not count against the new champion
    assert not triggers.drift_decision(_state([0, 9, 10], last_retrain=TODAY - timedelta(days=8)), POLICY).launch
    assert triggers.drift_decision(_state([0, 1], last_retrain=TODAY - timedelta(days=8)), POLICY).launch


def test_model_freshness_policy():
    assert not triggers.freshness_decision(_state(trained=TODAY - timedelta(days=14)), POLICY).launch
    old = triggers.freshness_decision(_state(trained=TODAY - timedelta(days=15), last_retrain=TODAY - timedelta(days=15)), POLICY)
    assert old.launch and old.trigger == "model_freshness:champion_too_old" and "15 days old" in old.reason
    # a retrain 2 days ago that was not promoted: wait out the cool-down rather than retrain daily
    assert not triggers.freshness_decision(_state(trained=TODAY - timedelta(days=20), last_retrain=TODAY - timedelta(days=2)), POLICY).launch
    assert RetrainPolicy(max_model_age_days=3).max_model_age_days == 3


def test_monitoring_tables_have_the_contract_types_with_nulls(tmp_path):
    from lead_scoring import tables
    from lead_scoring.steps import monitoring as compute
    from lead_scoring.warehouse import Warehouse

    wh = Warehouse(tmp_path / "warehouse.duckdb")
    compute.write(wh, tables.SOURCE_FRESHNESS, pd.DataFrame([{"as_of_date": TODAY, "source": "leads", "last_landed_day": None,
                                                             "lag_days": None, "max_lag_days": 0, "severity": "error"}]), TODAY)
    compute.write(wh, tables.LIVE_PERFORMANCE, pd.DataFrame([{"as_of_date": TODAY, "window_days": 7, "roc_auc": None, "calibration_error": None,
                                                             "labelled_rows": 0, "positives": 0, "champion_test_roc_auc": 0.7,
                                                             "severity": "ok", "model_version": "1"}]), TODAY)
    compute.write(wh, tables.LIVE_PERFORMANCE, pd.DataFrame([{"as_of_date": TODAY, "window_days": 7, "roc_auc": 0.71, "calibration_error": 0.02,
                                                             "labelled_rows": 900, "positives": 80, "champion_test_roc_auc": 0.7,
                                                             "severity": "ok", "model_version": "1"}]), TODAY)  # replaces the day
    types = wh.query("select table_name || '.' || column_name as c, data_type from information_schema.columns where table_schema = 'monitoring'")
    types = dict(zip(types.c, types.data_type))
    assert types["source_freshness.last_landed_day"] == "DATE" and types["source_freshness.lag_days"] == "INTEGER"
    assert types["live_performance.window_days"] == "INTEGER" and types["live_performance.roc_auc"] == "DOUBLE"
    assert wh.query("select roc_auc from monitoring.live_performance").roc_auc.tolist() == [0.71]
    assert wh.query("select lag_days from monitoring.source_freshness").lag_days.isna().all()


def test_live_performance_reads_ages_from_the_warehouse_and_weighs_to_the_champions_test_rows(tmp_path):
    """Served scores of young leads (ranked at random) and old ones (easy negatives), labelled 30 days on."""
    from lead_scoring import tables
    from lead_scoring.steps import monitoring as compute
    from lead_scoring.settings import Settings
    from lead_scoring.warehouse import Replacement, Warehouse

    wh, rng = Warehouse(tmp_path / "warehouse.duckdb"), np.random.default_rng(5)
    scored = TODAY - timedelta(days=performance.LABEL_WINDOW_DAYS)
    n_young, n_old = 600, 1200
    ids = [f"L{i:05d}" for i in range(n_young + n_old)]
    ages = np.r_[rng.choice([1, 8], n_young), rng.integers(36, 90, n_old)]
    converted = np.r_[rng.random(n_young) < 0.2, rng.random(n_old) < 0.01]
    wh.replace([
        Replacement.whole("staging.stg_leads", pd.DataFrame({"lead_id": ids, "created_date": [scored - timedelta(days=int(a)) for a in ages]})),
        Replacement.whole(tables.SCORES, pd.DataFrame({"lead_id": ids, "as_of_date": scored,
                                                       "probability": np.r_[rng.uniform(0.1, 0.3, n_young), rng.uniform(0.0, 0.02, n_old)]})),
        Replacement.whole("raw.conversions", pd.DataFrame({"lead_id": [i for i, c in zip(ids, converted) if c],
                                                           "converted_at": pd.Timestamp(scored) + pd.Timedelta(days=3)})),
    ])
    settings = dataclasses.replace(Settings.from_env(), home=tmp_path)  # a home without a flat import: the simulated CRM

    unweighted = compute.live_performance(wh, settings, TODAY, "1", 0.70).set_index("window_days")
    assert unweighted.loc[7, "labelled_rows"] == n_young + n_old and unweighted.loc[7, "roc_auc"] > 0.75  # age does the ranking
    wh.replace([Replacement.whole(tables.PERFORMANCE_REFERENCE, pd.DataFrame({"model_version": "1", "lead_age_days": [1, 8], "test_rows": [700, 300]}))])
    matched = compute.live_performance(wh, settings, TODAY, "1", 0.70).set_index("window_days")
    assert matched.loc[7, "labelled_rows"] == n_young and abs(matched.loc[7, "roc_auc"] - 0.5) < 0.08
    assert matched.loc[7, "severity"] == "error"
    assert compute.live_performance(wh, settings, TODAY, "2", 0.70).loc[0, "labelled_rows"] == n_young + n_old  # another champion: no reference
