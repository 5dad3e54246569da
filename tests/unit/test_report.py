"""The stakeholder report on a real DuckDB warehouse with a known scored history (no Dagster, no MLflow)."""

import base64
import json
import re
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from lead_scoring import tables
from lead_scoring.reporting import build, figures
from lead_scoring.reporting.data import CONVERSIONS, CheckOutcome, gather_scores
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Warehouse

LATEST = date(2026, 6, 30)
GRADE_P = {"A": 0.45, "B": 0.25, "C": 0.12, "D": 0.04}


def scored_history(days: int = 60, leads_per_grade: int = 20, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores of the same 80 leads every day; each converts (or not) with its grade's probability, once."""
    rng = np.random.default_rng(seed)
    leads = pd.DataFrame([(f"{g}{i:03d}", g, p) for g, p in GRADE_P.items() for i in range(leads_per_grade)],
                         columns=["lead_id", "grade", "p"])
    rows = []
    for offset in range(days):
        day = LATEST - timedelta(days=offset)
        noise = rng.uniform(-0.02, 0.02, len(leads))
        rows.append(leads.assign(as_of_date=day, probability=(leads["p"] + noise).clip(0.001, 0.999)))
    scores = pd.concat(rows, ignore_index=True)
    scores["score"] = (scores["probability"] * 100).round().astype(int)
    scores = scores.assign(model_name="lead_scoring", model_version="1", scored_at=datetime(2026, 7, 1))
    converts = rng.uniform(size=len(leads)) < leads["p"] * 2
    converted_on = [LATEST - timedelta(days=int(d)) for d in rng.integers(0, days, len(leads))]
    conversions = pd.DataFrame({"lead_id": leads["lead_id"], "first_converted_date": converted_on})[converts]
    conversions["first_converted_at"] = pd.to_datetime(conversions["first_converted_date"])
    conversions["n_conversions"] = 1
    return scores.drop(columns="p"), conversions


def expected_matured_rates(scores: pd.DataFrame, conversions: pd.DataFrame) -> pd.Series:
    """The conversion rate per grade computed row by row in pandas, the slow and obvious way."""
    matured = scores[scores["as_of_date"] <= LATEST - timedelta(days=30)].merge(conversions, on="lead_id", how="left")
    days = (pd.to_datetime(matured["first_converted_date"]) - pd.to_datetime(matured["as_of_date"])).dt.days
    matured["converted"] = ((days >= 0) & (days < 30)).astype(int)
    return matured.groupby("grade")["converted"].mean()


@pytest.fixture()
def warehouse(tmp_path) -> tuple[Warehouse, pd.DataFrame, pd.DataFrame]:
    scores, conversions = scored_history()
    wh = Warehouse(tmp_path / "warehouse.duckdb")
    wh.overwrite(tables.SCORES, scores)
    wh.overwrite(CONVERSIONS, conversions)
    return wh, scores, conversions


def settings_for(home) -> Settings:
    return Settings(home=home, warehouse_path=home / "warehouse.duckdb", dbt_target="dev",
                    mlflow_tracking_uri=f"sqlite:///{home}/mlflow.db", mlflow_artifacts=home / "artifacts", dagster_home=home / "dagster")


def test_conversion_by_grade_in_sql_matches_the_row_by_row_computation(warehouse):
    wh, scores, conversions = warehouse
    gathered = gather_scores(wh)
    assert gathered.latest == LATEST
    assert gathered.leads_scored_week == 80 and gathered.leads_scored_latest == 80
    by_grade = figures.grade_conversion(figures.matured(gathered.facts, gathered.latest)).set_index("grade")
    expected = expected_matured_rates(scores, conversions)
    for grade in "ABCD":
        assert by_grade.loc[grade, "rate"] == pytest.approx(expected[grade])
    assert by_grade.loc["A", "lift"] > 1 > by_grade.loc["D", "lift"]


def test_conversions_outside_the_label_window_do_not_count(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    day = LATEST - timedelta(days=40)
    wh.overwrite(tables.SCORES, pd.DataFrame({"lead_id": ["in", "late", "before", "never"], "as_of_date": [day] * 4,
                                              "probability": [0.5] * 4, "grade": ["A"] * 4}))
    wh.replace_rows(tables.SCORES, pd.DataFrame({"lead_id": ["other"], "as_of_date": [LATEST], "probability": [0.1], "grade": ["D"]}),
                    "as_of_date", [LATEST])
    wh.overwrite(CONVERSIONS, pd.DataFrame({"lead_id": ["in", "late", "before"],
                                            "first_converted_date": [day + timedelta(days=29), day + timedelta(days=30), day - timedelta(days=1)]}))
    facts = figures.matured(gather_scores(wh).facts, LATEST)
    assert int(facts["rows"].sum()) == 4 and int(facts["converted"].sum()) == 1


def test_auc_from_probability_bins_equals_the_exact_auc_when_bins_separate_the_leads():
    rng = np.random.default_rng(1)
    probability = rng.choice(np.arange(1000) / 1000 + 0.0005, size=400, replace=False)
    outcome = (rng.uniform(size=400) < probability).astype(int)
    bins = pd.DataFrame({"bin": (probability * 1000).astype(int), "rows": 1, "converted": outcome})
    assert figures.roc_auc_from_bins(bins) == pytest.approx(roc_auc_score(outcome, probability))


def test_calibration_groups_cover_every_row_and_a_calibrated_model_has_a_small_error(warehouse):
    wh, _, _ = warehouse
    matured = figures.matured(gather_scores(wh).facts, LATEST)
    table = figures.calibration(matured)
    assert table["rows"].sum() == matured["rows"].sum()
    assert table["predicted"].is_monotonic_increasing
    skewed = matured.assign(probability_sum=matured["probability_sum"] * 3)
    assert figures.calibration_error(figures.calibration(skewed)) > figures.calibration_error(table)


def test_changes_since_the_last_report_are_said_in_words():
    assert figures.changes({"leads_scored_week": 100}, None) == ["This is the first report: nothing to compare with yet."]
    said = figures.changes({"leads_scored_week": 120, "champion_version": "3", "conversion_rate_A": 0.30},
                           {"leads_scored_week": 100, "champion_version": "2", "conversion_rate_A": 0.25})
    assert "New model in production: version 3 (was 2)." in said
    assert "Leads scored in the week: 120 (last report: 100, +20%)." in said
    assert "Conversion rate of grade A leads: 30.0% (last report: 25.0%, +5.0 points)." in said


def _charts(page: str) -> list[str]:
    return re.findall(r"<img class='chart' alt='[^']*' src='data:image/png;base64,([^']+)'>", page)


def test_report_is_one_self_contained_page_with_its_charts_and_says_monitoring_has_not_run(warehouse, tmp_path):
    wh, _, _ = warehouse
    settings = settings_for(tmp_path)
    checks = [CheckOutcome("raw/leads", "source_contract", False, "ERROR", "column email missing", None),
              CheckOutcome("training_set", "labels_are_mature", True, "ERROR", "", None)]
    written = build.publish(build.gather(wh, None, settings, checks), settings)
    page = written.path.read_text()
    assert written.latest.read_text() == page and written.path.name == f"stakeholder_report_{LATEST}.html"
    charts = _charts(page)
    assert len(charts) == written.charts == 5
    assert all(base64.b64decode(c).startswith(b"\x89PNG") for c in charts)
    assert not re.search(r"(src|href)=['\"]https?://", page) and "<script" not in page and "<link" not in page
    assert "Monitoring has not run yet" in page
    assert "source_contract" in page and "column email missing" in page and "labels_are_mature" not in page
    assert "the chance that a lead who converted had a higher score" in page  # ROC AUC explained in words
    assert "This is the first report" in page
    assert json.loads((tmp_path / "reports" / build.HEADLINE_HISTORY).read_text())[-1]["leads_scored_week"] == 80


def test_report_shows_drift_when_monitoring_has_run_and_compares_with_the_last_report(warehouse, tmp_path):
    wh, _, _ = warehouse
    settings = settings_for(tmp_path)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / build.HEADLINE_HISTORY).write_text(json.dumps([{"as_of": "2026-06-23", "leads_scored_week": 40}]))
    days = [LATEST - timedelta(days=i) for i in range(3)]
    wh.overwrite("monitoring.prediction_drift", pd.DataFrame({
        "as_of_date": days, "psi": [0.02, 0.05, 0.31], "share_a": 0.1, "share_b": 0.2, "share_c": 0.3, "share_d": 0.4,
        "mean_probability": 0.1, "severity": ["ok", "ok", "error"], "model_version": "1"}))
    wh.overwrite("monitoring.feature_drift", pd.DataFrame({
        "as_of_date": [LATEST] * 2, "feature": ["activities_7d", "country"], "kind": ["numeric", "categorical"],
        "psi": [0.4, 0.01], "test": ["ks", "chi2"], "statistic": [0.3, 1.0], "p_value": [0.001, 0.6],
        "severity": ["error", "ok"], "reference_rows": 100, "current_rows": 80, "model_version": "1"}))
    page = build.publish(build.gather(wh, None, settings, None), settings).path.read_text()
    assert len(_charts(page)) == 7
    assert "Monitoring has not run yet" not in page and "Monitoring has not written live performance, source freshness yet" in page
    assert "activities_7d" in page and "Leads scored in the week: 80 (last report: 40, +100%)." in page
    assert "generated outside Dagster" in page


def test_report_without_scores_says_what_to_run(tmp_path):
    settings = settings_for(tmp_path)
    page = build.publish(build.gather(Warehouse(tmp_path / "empty.duckdb"), None, settings, []), settings).path.read_text()
    assert "No leads have been scored yet" in page and not _charts(page)


def test_model_metrics_are_read_under_the_names_training_logs_today_or_tomorrow():
    from lead_scoring.reporting.model_card import metric_rows

    today = {"roc_auc": 0.71, "baseline_roc_auc": 0.65, "bayes_roc_auc": 0.80, "brier": 0.10, "baseline_brier": 0.09}
    tomorrow = {"test_roc_auc": 0.72, "baseline_test_roc_auc": 0.65, "test_ece": 0.02, "roc_auc": 0.5}
    rows = {r.label: r for r in metric_rows(today, previous=tomorrow)}
    assert (rows["ROC AUC"].model, rows["ROC AUC"].baseline, rows["ROC AUC"].bayes, rows["ROC AUC"].previous) == (0.71, 0.65, 0.80, 0.72)
    assert rows["ROC AUC"].against_baseline() == "better" and rows["Brier score"].against_baseline() == "worse"
    assert "Calibration error" not in rows  # not logged: not shown
    assert {r.label: r.model for r in metric_rows(tomorrow, None)} == {"ROC AUC": 0.72, "Calibration error": 0.02}
