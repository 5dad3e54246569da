"""Gather, compose and write the stakeholder report; keep its headline numbers for the next one; log it to MLflow."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import mlflow
import pandas as pd

from lead_scoring.reporting import charts, figures, html
from lead_scoring.reporting.data import HISTORY_DAYS, CheckOutcome, Quality, ReportData, gather_load_stats, gather_monitoring, gather_scores
from lead_scoring.reporting.model_card import load_model_card
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Warehouse

REPORT_EXPERIMENT = "lead_scoring_reports"
HEADLINE_HISTORY = "headline_history.json"
LINK_LABELS = {
    "champion_run": "MLflow run of the model in production",
    "champion_version": "The model version in the MLflow registry",
    "feature_catalog": "Feature catalog (dbt docs)",
}


@dataclass(frozen=True)
class Chart:
    title: str
    caption: str
    png: str


@dataclass
class Report:
    data: ReportData
    headline: dict
    changes: list[str]
    grade_table: pd.DataFrame | None
    charts: dict[str, Chart] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    monitoring_tables: list[tuple[str, pd.DataFrame, list[str]]] = field(default_factory=list)

    def link_labels(self) -> list[tuple[str, str]]:
        return [(LINK_LABELS.get(key, key), url) for key, url in self.data.links.items()]


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    latest: Path
    headline: dict
    markdown: str
    charts: int


def gather(warehouse: Warehouse, client, settings: Settings, checks: list[CheckOutcome] | None,
           links: dict[str, str] | None = None) -> ReportData:
    """Everything the report shows. ``client`` is an MlflowClient (None: no model card)."""

    scores = gather_scores(warehouse)
    latest = scores.latest or datetime.now(timezone.utc).date()
    card = load_model_card(client, settings.dbt_manifest_path) if client is not None else None
    return ReportData(
        generated_at=datetime.now(timezone.utc),
        scores=scores,
        model=card,
        monitoring=gather_monitoring(warehouse, latest - timedelta(days=HISTORY_DAYS)),
        quality=Quality(gather_load_stats(warehouse, latest - timedelta(days=7)), checks),
        links=dict(links or {}),
        drift_policy=settings.policies.drift,
    )


def _value(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def compose(data: ReportData, previous: dict | None) -> Report:
    scores, card = data.scores, data.model
    headline = {
        "as_of": scores.latest.isoformat() if scores.latest else None,
        "leads_scored_week": scores.leads_scored_week,
        "leads_scored_latest": scores.leads_scored_latest,
        "champion_version": card.version if card else None,
        "champion_roc_auc": card.metric("ROC AUC") if card else None,
    }
    report = Report(data, headline, [], None)
    if scores.latest is None:
        report.notes["headline"] = report.notes["scores"] = html.note("No leads have been scored yet: run the `daily_scoring` job.")
    else:
        _score_charts(report)
        _performance(report)
    _monitoring(report)
    report.changes = figures.changes(headline, previous)
    return report


def _score_charts(report: Report) -> None:
    scores = report.data.scores
    report.charts["score_distribution"] = Chart(
        f"Scores on {scores.latest}", "How many leads got each score, coloured by grade.",
        charts.score_distribution(figures.score_histogram(scores.facts, scores.latest)))
    report.charts["grade_shares"] = Chart(
        "Grade shares over time", "Share of the scored leads in each grade, per scoring date. "
        "A growing A share means more leads look like past converters.",
        charts.grade_shares(figures.grade_shares(scores.facts)))
    latest = scores.facts[scores.facts["as_of_date"] == scores.latest]
    report.headline["mean_probability_latest"] = float(latest["probability_sum"].sum() / latest["rows"].sum())


def _performance(report: Report) -> None:
    scores, card = report.data.scores, report.data.model
    matured = figures.matured(scores.facts, scores.latest)
    if matured.empty or not scores.labels_available or matured["converted"].sum() == 0:
        oldest = scores.facts["as_of_date"].min()
        message = (f"No score has a known outcome yet: the oldest scores are from {oldest}, and an outcome is known "
                   f"{figures.LABEL_WINDOW_DAYS} days after scoring. Conversion by grade and performance appear from "
                   f"{oldest + timedelta(days=figures.LABEL_WINDOW_DAYS)} on.")
        report.notes["headline"] = report.notes["performance"] = html.note(message)
        return
    grades = figures.grade_conversion(matured)
    average = matured["converted"].sum() / matured["rows"].sum()
    report.grade_table = grades
    a = grades.set_index("grade").loc["A"]
    report.headline.update(conversion_rate=float(average), conversion_rate_A=_value(a["rate"]), lift_A=_value(a["lift"]))
    weekly = figures.weekly_performance(matured)
    calibration = figures.calibration(matured)
    report.headline["calibration_error"] = _value(figures.calibration_error(calibration))
    report.headline["roc_auc_matured"] = _value(figures.roc_auc_from_bins(matured))
    report.charts["conversion_by_grade"] = Chart(
        "Conversion by grade", f"Share of leads that converted within 30 days of being scored, per grade "
        f"(scores up to {scores.latest - timedelta(days=figures.LABEL_WINDOW_DAYS)}).",
        charts.conversion_by_grade(grades, average))
    live = report.data.monitoring.get("live_performance")
    report.charts["performance"] = Chart(
        "Ranking quality over time", "ROC AUC of the scores once outcomes were known, per week of scoring; "
        "the dashed line is the figure measured on the test period at training.",
        charts.performance_over_time(weekly, live, card.metric("ROC AUC") if card else None))
    report.charts["calibration"] = Chart(
        "Predicted vs actual", "Leads split into ten equal groups by predicted chance; points on the diagonal "
        "mean a predicted 20% really converts about 20% of the time.", charts.calibration(calibration))


def _monitoring(report: Report) -> None:
    found = report.data.monitoring
    if all(frame is None for frame in found.values()):
        report.notes["monitoring"] = html.note("Monitoring has not run yet: no drift, live performance or freshness "
                                               "figures are available (the monitoring assets write them).")
        return
    missing = [name.replace("_", " ") for name, frame in found.items() if frame is None]
    if missing:
        report.notes["monitoring"] = html.note(f"Monitoring has not written {', '.join(missing)} yet.")
    policy = report.data.drift_policy
    prediction = found.get("prediction_drift")
    if prediction is not None and not prediction.empty:
        report.charts["prediction_drift"] = Chart(
            "Score drift", "How far each day's score distribution has moved from the training data "
            f"(population stability index: under {policy.psi_moderate:g} stable, above {policy.psi_significant:g} a significant shift).",
            charts.prediction_drift(prediction, policy))
    features = found.get("feature_drift")
    if features is not None and not features.empty:
        latest = features[features["as_of_date"] == features["as_of_date"].max()]
        report.charts["feature_drift"] = Chart(
            f"Feature drift on {latest['as_of_date'].iloc[0]}", "How far each feature has moved from the training "
            "data; orange and red bars are features flagged by monitoring.", charts.feature_drift(latest, policy))
        report.monitoring_tables.append(("Features that drifted", latest[latest["severity"] != "ok"],
                                         ["feature", "psi", "test", "p_value", "severity"]))
    for name, title, columns in (
        ("live_performance", "Live performance (latest)", ["window_days", "roc_auc", "calibration_error", "labelled_rows", "severity"]),
        ("source_freshness", "Source freshness (latest)", ["source", "last_landed_day", "lag_days", "max_lag_days", "severity"]),
    ):
        frame = found.get(name)
        if frame is not None and not frame.empty:
            report.monitoring_tables.append((title, frame[frame["as_of_date"] == frame["as_of_date"].max()], columns))


def headline_markdown(headline: dict) -> str:
    rows = [("scores as of", headline.get("as_of")), ("leads scored (7 days)", headline.get("leads_scored_week")),
            ("conversion rate, grade A", _pct(headline.get("conversion_rate_A"))),
            ("lift of grade A", f"{headline['lift_A']:.1f}x" if headline.get("lift_A") else None),
            ("model in production", headline.get("champion_version")),
            ("test ROC AUC", f"{headline['champion_roc_auc']:.3f}" if headline.get("champion_roc_auc") else None)]
    return "| headline | value |\n|---|---|\n" + "\n".join(f"| {k} | {v if v is not None else '–'} |" for k, v in rows)


def _pct(x) -> str | None:
    return f"{x:.1%}" if x is not None else None


def previous_headline(reports_dir: Path, as_of: str | None) -> dict | None:
    """The headline of the last report made on other scores than ``as_of`` (re-runs compare with the week before)."""
    path = reports_dir / HEADLINE_HISTORY
    history = json.loads(path.read_text()) if path.exists() else []
    earlier = [h for h in history if h.get("as_of") != as_of]
    return earlier[-1] if earlier else None


def write(report: Report, reports_dir: Path) -> WrittenReport:
    reports_dir.mkdir(parents=True, exist_ok=True)
    page = html.render(report)
    stamp = report.headline.get("as_of") or report.data.generated_at.date().isoformat()
    path = reports_dir / f"stakeholder_report_{stamp}.html"
    path.write_text(page, encoding="utf-8")
    latest = reports_dir / "latest.html"
    latest.write_text(page, encoding="utf-8")
    history_path = reports_dir / HEADLINE_HISTORY
    history = json.loads(history_path.read_text()) if history_path.exists() else []
    history = [h for h in history if h.get("as_of") != report.headline.get("as_of")] + [report.headline]
    history_path.write_text(json.dumps(history[-52:], indent=2, default=str))
    return WrittenReport(path, latest, report.headline, headline_markdown(report.headline), len(report.charts))


def publish(data: ReportData, settings: Settings) -> WrittenReport:
    """Compose the report (compared with the last one) and write it under ``<home>/reports``."""
    reports_dir = settings.home / "reports"
    as_of = data.scores.latest.isoformat() if data.scores.latest else None
    return write(compose(data, previous_headline(reports_dir, as_of)), reports_dir)


def log_to_mlflow(written: WrittenReport, settings: Settings) -> tuple[str, str]:
    """Log the report as an artifact of a run in its own experiment (training runs stay among themselves).

    Returns (experiment id, run id). MLflow must already point at the store (``registry.connect``).
    """

    experiment = mlflow.get_experiment_by_name(REPORT_EXPERIMENT)
    if experiment is None:
        local = not settings.mlflow_tracking_uri.startswith("http")
        location = (settings.mlflow_artifacts / REPORT_EXPERIMENT).resolve().as_uri() if local else None
        experiment_id = mlflow.create_experiment(REPORT_EXPERIMENT, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    numbers = {k: float(v) for k, v in written.headline.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"report {written.headline.get('as_of')}") as run:
        mlflow.set_tags({"scores_as_of": str(written.headline.get("as_of")),
                         "champion_version": str(written.headline.get("champion_version"))})
        mlflow.log_metrics({k: v for k, v in numbers.items() if not math.isnan(v)})
        mlflow.log_artifact(str(written.path), artifact_path="report")
    return experiment_id, run.info.run_id
