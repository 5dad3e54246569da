"""What the platform holds right now: locations, champion, last scores."""

from __future__ import annotations

from lead_scoring import tables
from lead_scoring.errors import LeadScoringError
from lead_scoring.flat.importer import read_record
from lead_scoring.redaction import redacted
from lead_scoring.settings import REGISTERED_MODEL, Settings
from lead_scoring.simulator import landing

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
        "warehouse": str(settings.warehouse()),
        "scores_table": SCORES_TABLE,
        "mlflow_tracking_uri": redacted(settings.mlflow_tracking_uri),
        # Incoming webhooks carry their token in the path: the host is all that can be shown.
        "alert_webhook": redacted(settings.alert_webhook_url, keep_path=False) if settings.alert_webhook_url else None,
        "registered_model": REGISTERED_MODEL,
        "dagster_home": str(settings.dagster_home),
        "champion": None,
        "baseline_roc_auc": None,
        "bayes_roc_auc": None,
        "last_scored_date": None,
        "scored_leads": 0,
    }
    report["source"] = flat_source_status(settings)
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
    warehouse = settings.warehouse()
    if warehouse.table_exists(SCORES_TABLE):
        last = warehouse.query(
            f"select max(as_of_date) as d, count(*) filter (where as_of_date = (select max(as_of_date) from {SCORES_TABLE})) as n "
            f"from {SCORES_TABLE}"
        )
        if last.n.iloc[0]:
            report["last_scored_date"] = str(last.d.iloc[0])[:10]
            report["scored_leads"] = int(last.n.iloc[0])
    return report


def flat_source_status(settings: Settings) -> dict:
    """The home's source: the simulated CRM, a mapped CRM source's landing, or the imported flat export with its counts and findings."""

    record = read_record(settings)
    if record is None:
        manifest = landing.read_manifest(settings.landing_dir)
        if manifest.get("source"):
            return {"kind": "mapped_crm", "name": manifest["source"], "mapping": manifest["mapping_file"],
                    "first_day": manifest["start_date"], "last_day": manifest["last_day"]}
        return {"kind": "simulated_crm"}
    return {
        "kind": "flat_export",
        "name": record["name"],
        "export": record["export_path"],
        "mapping": record["mapping_file"],
        "imported_at": record["imported_at"],
        "rows_loaded": record["loaded"],
        "rows_quarantined": record["quarantined"],
        "features": sum(1 for c in record["columns"] if c["role"] == "feature" and not c["excluded"]),
        "post_outcome_columns": [c["original"] for c in record["columns"] if c["role"] == "post_outcome"],
        "leakage_flagged": {name: record["leakage_auc"][name] for name in record["leakage_flagged"]},
        "split": record["split_method"] + (f" (seed {record['split_seed']})" if record["split_method"] == "stratified_random" else ""),
    }


def render(report: dict) -> str:
    champion = report["champion"]
    lines = [
        f"home                {report['home']}",
        f"warehouse           {report['warehouse']}",
        f"scores table        {report['scores_table']}",
        f"MLflow tracking     {report['mlflow_tracking_uri']}",
        f"alert webhook       {report['alert_webhook'] or 'none (alerts are only logged)'}",
        f"Dagster home        {report['dagster_home']}",
        f"registered model    {report['registered_model']}",
    ]
    source = report.get("source") or {"kind": "simulated_crm"}
    if source["kind"] == "flat_export":
        lines += [
            f"source              flat export {source['name']!r} from {source['export']} (imported {source['imported_at']})",
            f"  rows              {source['rows_loaded']} loaded, {source['rows_quarantined']} quarantined; "
            f"{source['features']} features; split {source['split']}",
            f"  leakage flagged   {', '.join(f'{k} (AUC {v:.3f})' for k, v in source['leakage_flagged'].items()) or 'none'}",
        ]
    elif source["kind"] == "mapped_crm":
        lines.append(f"source              {source['name']} by {source['mapping']}, landing days {source['first_day']} .. {source['last_day']}")
    else:
        lines.append("source              simulated CRM (landing files)")
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
