"""What the platform holds right now: locations, champion, last scores."""

from __future__ import annotations

from lead_scoring import tables
from lead_scoring.errors import LeadScoringError
from lead_scoring.settings import REGISTERED_MODEL, Settings
from lead_scoring.warehouse import Warehouse

SCORES_TABLE = tables.SCORES


class MissingHomeError(LeadScoringError):
    pass


def require_home(settings: Settings) -> None:
    if not settings.home.exists():
        raise MissingHomeError(
            f"no lead-scoring home at {settings.home}: run `lead-scoring demo` first "
            "(or point LEAD_SCORING_HOME at an existing one)"
        )


def collect(settings: Settings) -> dict:
    require_home(settings)
    from lead_scoring.ml import registry  # MLflow is slow to import; only status needs it here

    report = {
        "home": str(settings.home),
        "warehouse": str(settings.warehouse_path),
        "scores_table": SCORES_TABLE,
        "mlflow_tracking_uri": settings.mlflow_tracking_uri,
        "registered_model": REGISTERED_MODEL,
        "dagster_home": str(settings.dagster_home),
        "champion": None,
        "baseline_roc_auc": None,
        "bayes_roc_auc": None,
        "last_scored_date": None,
        "scored_leads": 0,
    }
    client = registry.connect(settings.mlflow_tracking_uri, settings.mlflow_artifacts)
    champion = registry.version_by_alias(client, registry.CHAMPION)
    if champion is not None:
        metrics = client.get_run(champion.run_id).data.metrics
        report["champion"] = {
            "version": champion.version,
            "run_id": champion.run_id,
            "metrics": {k: v for k, v in sorted(metrics.items()) if not k.startswith(("baseline_", "bayes_"))},
        }
        report["baseline_roc_auc"] = metrics.get("baseline_test_roc_auc")
        report["bayes_roc_auc"] = metrics.get("bayes_test_roc_auc")
    warehouse = Warehouse(settings.warehouse_path)
    if warehouse.table_exists(SCORES_TABLE):
        last = warehouse.query(
            f"select max(as_of_date) as d, count(*) filter (where as_of_date = (select max(as_of_date) from {SCORES_TABLE})) as n "
            f"from {SCORES_TABLE}"
        )
        if last.n.iloc[0]:
            report["last_scored_date"] = str(last.d.iloc[0])[:10]
            report["scored_leads"] = int(last.n.iloc[0])
    return report


def render(report: dict) -> str:
    champion = report["champion"]
    lines = [
        f"home                {report['home']}",
        f"warehouse           {report['warehouse']}",
        f"scores table        {report['scores_table']}",
        f"MLflow tracking     {report['mlflow_tracking_uri']}",
        f"Dagster home        {report['dagster_home']}",
        f"registered model    {report['registered_model']}",
    ]
    if champion:
        auc = champion["metrics"].get("test_roc_auc")
        lines.append(f"champion            version {champion['version']} (ROC AUC {auc:.3f}, run {champion['run_id']})")
        if report["baseline_roc_auc"] is not None:
            lines.append(f"baseline ROC AUC    {report['baseline_roc_auc']:.3f}")
        if report["bayes_roc_auc"] is not None:
            lines.append(f"Bayes-limit ROC AUC {report['bayes_roc_auc']:.3f}")
    else:
        lines.append("champion            none yet (run the `retrain` job)")
    scored = report["last_scored_date"]
    lines.append(f"last scores         {report['scored_leads']} leads as of {scored}" if scored else "last scores         none yet")
    return "\n".join(lines)
