"""The monitoring tables, computed from the warehouse and the registry (no Dagster).

Which rows each monitor compares depends on the source (simulated CRM or flat
export): see ``lead_scoring.monitoring.populations``.

Every table is keyed by ``as_of_date``, the scores' as-of date (landing day + 1;
for a flat export, the day it was imported).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from lead_scoring import tables
from lead_scoring.errors import LeadScoringError
from lead_scoring.flat import importer as flat_import
from lead_scoring.ml import registry
from lead_scoring.ml.dataset import in_canonical_order
from lead_scoring.ml.features import feature_contract
from lead_scoring.ml.model import feature_frame
from lead_scoring.monitoring import drift, freshness, performance, populations
from lead_scoring.monitoring.triggers import MonitoringState
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Replacement, Warehouse

REFERENCE_MAX_ROWS = 5_000
GRADES = ("A", "B", "C", "D")


class MonitoringInputError(LeadScoringError):
    pass


def champion_test_roc_auc(client, version) -> float:
    """The champion's ROC AUC on its test set: ``test_roc_auc``, or ``roc_auc`` as older runs named it."""
    metrics = client.get_run(version.run_id).data.metrics
    return float(metrics.get("test_roc_auc", metrics.get("roc_auc")))


def _feature_kinds(settings: Settings) -> dict[str, str]:

    return {f.name: "numeric" if f.feature_type == "numeric" else "categorical" for f in feature_contract(settings.dbt_manifest_path)}


def _require_features_as_of(warehouse: Warehouse, as_of: date) -> None:
    built_for = str(warehouse.query("select scoring_date from intermediate.int_scoring_date").scoring_date.iloc[0])[:10]
    if built_for != as_of.isoformat():
        raise MonitoringInputError(
            f"marts.lead_features_current is as of {built_for}, not {as_of}: monitor a day in the run that builds its features"
        )


def data_as_of(warehouse: Warehouse) -> date:
    return pd.Timestamp(warehouse.query("select scoring_date from intermediate.int_scoring_date").scoring_date.iloc[0]).date()


# --- the retrain job: remember when and why, and the champion's reference ---------------------------------------


def record_retrain(warehouse: Warehouse, client, settings: Settings, run_id: str, trigger: str) -> dict:
    """After a retrain's promotion step: one ``monitoring.retrains`` row, and the new champion's references.

    The drift reference (training rows of new leads, with the champion's predictions) and the performance
    reference (the champion's test rows per lead age) come from this run's training set, so they are kept
    only when this run's challenger became the champion.
    """

    challenger = registry.version_by_alias(client, registry.CHALLENGER)
    champion = registry.version_by_alias(client, registry.CHAMPION)
    promoted = champion is not None and challenger is not None and champion.version == challenger.version
    row = {
        "dagster_run_id": run_id,
        "retrained_as_of": data_as_of(warehouse),
        "trigger": trigger,
        "challenger_version": str(challenger.version) if challenger else None,
        "champion_version": str(champion.version) if champion else None,
        "promoted": promoted,
        "recorded_at": datetime.now(timezone.utc).replace(tzinfo=None),
    }
    replacements = [Replacement(tables.RETRAINS, "dagster_run_id", [run_id], pd.DataFrame([row]))]
    has_reference = warehouse.table_exists(tables.DRIFT_REFERENCE) and champion is not None and len(
        warehouse.query(f"select 1 from {tables.DRIFT_REFERENCE} where model_version = ? limit 1", [str(champion.version)])
    )
    if promoted and not has_reference:
        # This run's data is the champion's: keep its reference rows before the next retrain replaces them.
        rows = in_canonical_order(populations.reference_rows(warehouse, settings))
        rows = rows.sample(n=min(len(rows), REFERENCE_MAX_ROWS), random_state=0).sort_values("lead_id")
        features = feature_contract(settings.dbt_manifest_path)
        model = registry.load_model(client, registry.CHAMPION).model
        reference = rows[[f.name for f in features]].copy()
        reference["probability"] = model.predict_proba(feature_frame(rows, features))[:, 1] if len(rows) else []
        reference.insert(0, "model_version", str(champion.version))
        existing = warehouse.columns(tables.DRIFT_REFERENCE)
        if existing and set(existing) != set(reference.columns):
            # Another feature contract (a later export with other columns): the older references cannot share the table.
            replacements.append(Replacement.whole(tables.DRIFT_REFERENCE, reference))
        else:
            replacements.append(Replacement(tables.DRIFT_REFERENCE, "model_version", [str(champion.version)], reference))
        ages = populations.test_rows_by_age(warehouse, settings)
        if len(ages):
            ages.insert(0, "model_version", str(champion.version))
            replacements.append(Replacement(tables.PERFORMANCE_REFERENCE, "model_version", [str(champion.version)], ages))
    warehouse.replace(replacements)
    return row


def _reference(warehouse: Warehouse, version: str) -> pd.DataFrame:
    if not warehouse.table_exists(tables.DRIFT_REFERENCE):
        return pd.DataFrame()
    return warehouse.query(f"select * from {tables.DRIFT_REFERENCE} where model_version = ?", [version])


# --- the daily tables ----------------------------------------------------------------------------------------------


def feature_drift(warehouse: Warehouse, settings: Settings, as_of: date, champion_version: str) -> pd.DataFrame:
    _require_features_as_of(warehouse, as_of)
    reference = _reference(warehouse, champion_version)
    if reference.empty:
        raise MonitoringInputError(
            f"no drift reference for champion version {champion_version} in {tables.DRIFT_REFERENCE}: run the `retrain` job"
        )
    current = populations.current_features(warehouse, settings)
    # The champion's inputs: a feature the current contract added since (a re-imported export) has no reference yet.
    kinds = {name: kind for name, kind in _feature_kinds(settings).items() if name in reference}
    results = drift.feature_drift(reference, current, kinds, settings.policies.drift)
    frame = pd.DataFrame([r.__dict__ for r in results])
    frame.insert(0, "as_of_date", as_of)
    frame["model_version"] = champion_version
    return frame


def prediction_drift(warehouse: Warehouse, settings: Settings, as_of: date, champion_version: str) -> pd.DataFrame:
    _require_features_as_of(warehouse, as_of)
    reference = _reference(warehouse, champion_version)
    current = populations.current_scores(warehouse, settings, as_of)
    psi, level = drift.prediction_drift(reference["probability"].to_numpy() if len(reference) else [], current["probability"].to_numpy(), settings.policies.drift)
    shares = current["grade"].value_counts(normalize=True).reindex(list(GRADES), fill_value=0.0)
    return pd.DataFrame(
        [
            {
                "as_of_date": as_of,
                "psi": psi,
                **{f"share_{g.lower()}": float(shares[g]) for g in GRADES},
                "mean_probability": float(current["probability"].mean()) if len(current) else None,
                "severity": level,
                "model_version": champion_version,
            }
        ]
    )


def stored_test_rows_by_age(warehouse: Warehouse, version: str) -> pd.Series:
    """The champion's test rows per lead age.

    Empty (the scores are not weighted) for a flat export, and for a champion promoted before the
    performance reference was kept: its next successor gets one.
    """
    if not warehouse.table_exists(tables.PERFORMANCE_REFERENCE):
        return pd.Series(dtype=float)
    found = warehouse.query(f"select lead_age_days, test_rows from {tables.PERFORMANCE_REFERENCE} where model_version = ?", [version])
    return found.set_index("lead_age_days")["test_rows"].astype(float)


def live_performance(warehouse: Warehouse, settings: Settings, as_of: date, champion_version: str, champion_auc: float) -> pd.DataFrame:
    scores = populations.labelled_scores(warehouse, settings, as_of)
    label = scores["label"].to_numpy(dtype=int)
    test_ages = stored_test_rows_by_age(warehouse, champion_version)
    weighted = "lead_age_days" in scores and len(test_ages) > 0
    rows = []
    for window in performance.WINDOWS:
        start = populations.window_start(settings, as_of, window)
        inside = (pd.to_datetime(scores["as_of_date"]) >= pd.Timestamp(start)).to_numpy() if len(scores) else np.zeros(0, bool)
        weight = performance.age_matched_weights(scores["lead_age_days"].to_numpy()[inside], test_ages) if weighted else None
        result = performance.window_performance(window, label[inside], scores["probability"].to_numpy()[inside], champion_auc, weight)
        rows.append({"as_of_date": as_of, **result.__dict__, "champion_test_roc_auc": champion_auc, "model_version": champion_version})
    return pd.DataFrame(rows)


def source_freshness(settings: Settings, landing_dir: Path, as_of: date) -> pd.DataFrame:
    """Freshness of the landing day before ``as_of`` (the day whose data the as-of scores need), or of the flat export."""
    record = flat_import.read_record(settings)
    if record is not None:
        found = [freshness.export_freshness(record["name"], datetime.fromisoformat(record["imported_at"]).date(), as_of,
                                          settings.policies.freshness.export_max_age_days)]
    else:
        found = freshness.source_freshness(landing_dir, as_of - pd.Timedelta(days=1).to_pytimedelta(), settings.policies.freshness)
    frame = pd.DataFrame([f.__dict__ for f in found])
    frame.insert(0, "as_of_date", as_of)
    return frame


# The column types of the monitoring tables (the weekly report and dashboards read them).
SCHEMAS = {
    tables.FEATURE_DRIFT: pa.schema([
        ("as_of_date", pa.date32()), ("feature", pa.string()), ("kind", pa.string()), ("psi", pa.float64()),
        ("test", pa.string()), ("statistic", pa.float64()), ("p_value", pa.float64()), ("severity", pa.string()),
        ("reference_rows", pa.int64()), ("current_rows", pa.int64()), ("model_version", pa.string()),
    ]),
    tables.PREDICTION_DRIFT: pa.schema([
        ("as_of_date", pa.date32()), ("psi", pa.float64()), ("share_a", pa.float64()), ("share_b", pa.float64()),
        ("share_c", pa.float64()), ("share_d", pa.float64()), ("mean_probability", pa.float64()),
        ("severity", pa.string()), ("model_version", pa.string()),
    ]),
    tables.LIVE_PERFORMANCE: pa.schema([
        ("as_of_date", pa.date32()), ("window_days", pa.int32()), ("roc_auc", pa.float64()),
        ("calibration_error", pa.float64()), ("labelled_rows", pa.int64()), ("positives", pa.int64()),
        ("champion_test_roc_auc", pa.float64()), ("severity", pa.string()), ("model_version", pa.string()),
    ]),
    tables.SOURCE_FRESHNESS: pa.schema([
        ("as_of_date", pa.date32()), ("source", pa.string()), ("last_landed_day", pa.date32()),
        ("lag_days", pa.int32()), ("max_lag_days", pa.int32()), ("severity", pa.string()),
    ]),
}


def write(warehouse: Warehouse, table: str, frame: pd.DataFrame, as_of: date) -> None:
    """Replace the as-of date's rows of a monitoring table (types fixed by ``SCHEMAS``, missing values as NULL)."""
    schema = SCHEMAS[table]
    columns = {}
    for name in schema.names:
        values = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        columns[name] = [str(v) for v in values] if schema.field(name).type == pa.string() else values
    warehouse.replace([Replacement(table, "as_of_date", [as_of], pa.table(columns, schema=schema))])


# --- what the sensors read -----------------------------------------------------------------------------------------

SIGNAL_TABLES = {
    "feature_drift": tables.FEATURE_DRIFT,
    "prediction_drift": tables.PREDICTION_DRIFT,
    "performance_decay": tables.LIVE_PERFORMANCE,
}


def _dates(frame: pd.DataFrame, column: str) -> list[date]:
    return [pd.Timestamp(v).date() for v in frame[column].dropna()]


def monitoring_state(warehouse: Warehouse, lookback_days: int = 60) -> MonitoringState:
    if not warehouse.table_exists(tables.SOURCE_FRESHNESS):
        return MonitoringState(None, {}, None, None, None, [])
    today_found = _dates(warehouse.query(f"select max(as_of_date) as d from {tables.SOURCE_FRESHNESS}"), "d")
    today = today_found[0] if today_found else None
    if today is None:
        return MonitoringState(None, {}, None, None, None, [])
    since = today - pd.Timedelta(days=lookback_days).to_pytimedelta()
    significant = {
        signal: set(
            _dates(warehouse.query(f"select distinct as_of_date from {table} where severity = 'error' and as_of_date > ?", [since]), "as_of_date")
        )
        for signal, table in SIGNAL_TABLES.items()
        if warehouse.table_exists(table)
    }
    stale = warehouse.query(
        f"select source from {tables.SOURCE_FRESHNESS} where as_of_date = ? and severity = 'error' order by source", [today]
    ).source.tolist()
    last_retrain = champion_trained = champion_version = None
    if warehouse.table_exists(tables.RETRAINS):
        retrains = warehouse.query(f"select * from {tables.RETRAINS} order by retrained_as_of, recorded_at")
        if len(retrains):
            last_retrain = pd.Timestamp(retrains.retrained_as_of.iloc[-1]).date()
            promoted = retrains[retrains.promoted.astype(bool)]
            if len(promoted):
                champion_trained = pd.Timestamp(promoted.retrained_as_of.iloc[-1]).date()
                champion_version = str(promoted.challenger_version.iloc[-1])
    return MonitoringState(today, significant, last_retrain, champion_trained, champion_version, stale)
