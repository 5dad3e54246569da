"""Monitoring assets: daily drift, live performance and freshness tables with their checks, and the retrain record.

The statistics live in ``lead_scoring.monitoring`` and the steps in
``lead_scoring.steps.monitoring``; this module wires them:

* daily assets (group ``monitoring``) writing ``monitoring.feature_drift``,
  ``monitoring.prediction_drift``, ``monitoring.live_performance`` and
  ``monitoring.source_freshness``; each reports a check (WARN moderate, ERROR significant);
* ``source_freshness`` sits upstream of ``lead_scores`` with a blocking check,
  so a day with a stale source is not scored (the skip shows in the run);
* ``champion_reference`` runs at the end of every retrain: it records the
  retrain and keeps the new champion's training rows as the drift reference.

The daily assets depend on the home (their partitions start at its first day,
live performance reads the outcomes of its source): ``build(settings)`` makes them.
"""

from pathlib import Path

import dagster as dg

from lead_scoring import tables
from lead_scoring.defs import catalog
from lead_scoring.defs.partitions import TRIGGER_TAG, daily, scoring_as_of
from lead_scoring.defs.training.assets import trigger_of
from lead_scoring.monitoring import freshness, triggers  # no SciPy or scikit-learn: cheap at load time
from lead_scoring.platform.resources import LandingResource, MlflowResource, WarehouseResource
from lead_scoring.settings import Settings

FEATURES_CURRENT = dg.AssetKey(["marts", "lead_features_current"])
SNAPSHOTS = dg.AssetKey(["marts", "lead_snapshots"])
SCORES = dg.AssetKey(["lead_scores"])
MODEL_PROMOTION = dg.AssetKey(["model_promotion"])
SEVERITY = {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}


def _check(check_name: str, level: str, problem: str, **metadata) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=level == "ok",
        severity=SEVERITY.get(level, dg.AssetCheckSeverity.WARN),
        description=None if level == "ok" else problem,
        metadata=metadata,
    )


def _champion(mlflow: MlflowResource):
    from lead_scoring.ml import registry

    client = mlflow.client()
    found = registry.version_by_alias(client, registry.CHAMPION)
    if found is None:
        raise dg.Failure(description="no champion in the registry: run the `retrain` job first")
    return client, found


def _number(value) -> float | None:
    return None if value is None or value != value else float(value)  # NaN != NaN


# --- retrain: record it, keep the champion's reference --------------------------------------------------------------


@dg.asset(
    key=["monitoring", "champion_reference"],
    deps=[MODEL_PROMOTION],
    group_name="training",  # part of the `retrain` job, which selects the training group
    kinds={"python", "duckdb"},
    description="Records each retrain in `monitoring.retrains` (data date, trigger, versions, promoted) and, when a "
    "new champion was promoted, keeps its training rows of one-day-old leads (features and predictions) in "
    "`monitoring.drift_reference`: the reference the drift monitors compare each day's new leads with, and its "
    "test rows per lead age in `monitoring.performance_reference`: the age mix live performance is weighted to.",
    metadata={"dagster/table_name": tables.RETRAINS},
)
def champion_reference(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]
) -> dg.MaterializeResult:
    from lead_scoring.steps import monitoring as compute

    trigger = context.run.tags.get(TRIGGER_TAG) or trigger_of(context)[0]  # schedule / manual
    row = compute.record_retrain(warehouse.get(), mlflow.client(), settings, context.run_id, trigger)
    context.log.info(f"retrain as of {row['retrained_as_of']} ({trigger}): champion v{row['champion_version']}")
    return dg.MaterializeResult(metadata={k: str(v) for k, v in row.items() if k != "recorded_at"})


@dg.asset_check(
    asset=SNAPSHOTS,
    name="sources_fresh_for_training",
    blocking=True,
    description="Retraining waits for fresh data: every raw source has landed up to the newest landing day "
    "(a source that stopped landing would teach the model a gap).",
)
def sources_fresh_for_training(landing: LandingResource, settings: dg.ResourceParam[Settings]) -> dg.AssetCheckResult:

    newest = freshness.latest_landed_day(landing.landing_dir)
    stale = [f for f in freshness.source_freshness(landing.landing_dir, newest, settings.policies.freshness) if f.severity != "ok"] if newest else []
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(f.sentence() for f in stale) + " - training postponed until they land" if stale else None,
        metadata={"newest_landing_day": str(newest), "stale_sources": ", ".join(f.source for f in stale) or "none"},
    )


# --- daily monitoring assets -------------------------------------------------------------------------------------------


def _daily(partitions: dg.PartitionsDefinition, name: str, deps: list, table: str, description: str, checks: list[dg.AssetCheckSpec]):
    return dg.asset(
        key=["monitoring", name],
        deps=deps,
        partitions_def=partitions,
        group_name="monitoring",
        kinds={"python", "duckdb"},
        description=description,
        metadata={"dagster/table_name": table},
        check_specs=checks,
    )


def build(settings: Settings) -> dg.Definitions:
    partitions = daily(settings)
    drift_policy, retrain_policy = settings.policies.drift, settings.policies.retrain
    # Where outcomes come from (see monitoring/populations.py): conversions, or the outcome column of a re-imported export.
    outcomes = dg.AssetKey(["staging", "stg_flat_export"]) if settings.flat_source_file.exists() else dg.AssetKey(["raw", "conversions"])

    @_daily(
        partitions,
        "source_freshness",
        [],
        tables.SOURCE_FRESHNESS,
        "Per raw source: the last day it landed a file and its lag behind the landing day. Upstream of `lead_scores`: "
        "a stale source blocks that day's scoring.",
        [
            dg.AssetCheckSpec(
                "sources_are_fresh",
                asset=dg.AssetKey(["monitoring", "source_freshness"]),
                blocking=True,
                description="Every raw source landed within its freshness policy (default: the landing day itself). "
                "A failure stops the day's scoring: no scores on stale features.",
            )
        ],
    )
    def source_freshness(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource, settings: dg.ResourceParam[Settings]
    ) -> dg.MaterializeResult:
        from lead_scoring.steps import monitoring as compute

        as_of = scoring_as_of(context.partition_key)
        frame = compute.source_freshness(settings, Path(landing.landing_dir), as_of)
        compute.write(warehouse.get(), tables.SOURCE_FRESHNESS, frame, as_of)
        stale = frame[frame.severity == "error"]
        problem = "; ".join(
            f"{r.source} last landed {r.last_landed_day} ({r.lag_days} days behind, {r.max_lag_days} allowed)" for r in stale.itertuples()
        )
        return dg.MaterializeResult(
            metadata={"stale_sources": ", ".join(stale.source) or "none", "freshness": catalog.markdown_table(frame, ["source", "last_landed_day", "lag_days", "max_lag_days", "severity"])},
            check_results=[
                _check("sources_are_fresh", "error" if len(stale) else "ok", f"stale sources, scoring of {as_of} withheld: {problem}")
            ],
        )


    @_daily(
        partitions,
        "feature_drift",
        [FEATURES_CURRENT],
        tables.FEATURE_DRIFT,
        f"Per feature: PSI and a statistical test (KS / chi-squared up to {drift_policy.small_reference_rows:,} reference rows, "
        "normed Wasserstein / Jensen-Shannon above) of the day's new leads against the champion's training reference.",
        [dg.AssetCheckSpec("features_within_drift_limits", asset=dg.AssetKey(["monitoring", "feature_drift"]),
                           description=f"WARN: a feature's PSI above {drift_policy.psi_moderate:.2f} and its test drifted; ERROR: PSI above {drift_policy.psi_significant:.2f} and the "
                           "test drifted (PSI must also exceed what sampling alone gives on a day this small).")],
    )
    def feature_drift(context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
        from lead_scoring.monitoring import drift
        from lead_scoring.steps import monitoring as compute

        as_of = scoring_as_of(context.partition_key)
        _, champion = _champion(mlflow)
        wh = warehouse.get()
        try:
            frame = compute.feature_drift(wh, settings, as_of, str(champion.version))
        except compute.MonitoringInputError as missing:
            context.log.warning(str(missing))
            return dg.MaterializeResult(metadata={"skipped": str(missing)}, check_results=[_check("features_within_drift_limits", "warn", str(missing))])
        compute.write(wh, tables.FEATURE_DRIFT, frame, as_of)
        level = drift.worst(frame.severity)
        flagged = frame[frame.severity != "ok"].sort_values("psi", ascending=False)
        problem = ", ".join(f"{r.feature} ({r.severity}: PSI {r.psi:.2f}, {r.test} {r.statistic:.3f})" for r in flagged.itertuples())
        return dg.MaterializeResult(
            metadata={"drifted_features": len(flagged), "current_rows": int(frame.current_rows.iloc[0]),
                      "reference_rows": int(frame.reference_rows.iloc[0]), "model_version": str(champion.version),
                      "features": catalog.markdown_table(frame.sort_values("psi", ascending=False), ["feature", "psi", "test", "statistic", "severity"])},
            check_results=[_check("features_within_drift_limits", level, f"drift of the new leads as of {as_of}: {problem}",
                                  drifted_features=len(flagged))],
        )


    @_daily(
        partitions,
        "prediction_drift",
        [SCORES],
        tables.PREDICTION_DRIFT,
        "PSI of the day's new leads' predicted probabilities against the champion's predictions on its training "
        "reference, the share of those leads per grade and their mean probability.",
        [dg.AssetCheckSpec("predictions_within_drift_limits", asset=dg.AssetKey(["monitoring", "prediction_drift"]),
                           description=f"WARN: prediction PSI above {drift_policy.psi_moderate:.2f}; ERROR: above {drift_policy.psi_significant:.2f} "
                           "(and above the small-sample noise floor).")],
    )
    def prediction_drift(context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
        from lead_scoring.steps import monitoring as compute

        as_of = scoring_as_of(context.partition_key)
        _, champion = _champion(mlflow)
        frame = compute.prediction_drift(warehouse.get(), settings, as_of, str(champion.version))
        compute.write(warehouse.get(), tables.PREDICTION_DRIFT, frame, as_of)
        row = frame.iloc[0]
        return dg.MaterializeResult(
            metadata={"psi": float(row.psi), "mean_probability": float(row.mean_probability or 0.0),
                      **{f"share_{g}": float(row[f"share_{g}"]) for g in "abcd"}},
            check_results=[_check("predictions_within_drift_limits", row.severity, f"prediction PSI {row.psi:.3f} as of {as_of}", psi=float(row.psi))],
        )


    @_daily(
        partitions,
        "live_performance",
        [SCORES, outcomes],
        tables.LIVE_PERFORMANCE,
        "ROC AUC and expected calibration error of the served scores whose 30-day labels have matured, over the last "
        "7 and 28 scoring days, next to the champion's test ROC AUC. The scores are weighted to the lead ages of the "
        "champion's test rows (`monitoring.performance_reference`): the test split holds only young leads, and age alone "
        "lifts the AUC of a population of all ages.",
        [
            dg.AssetCheckSpec("live_performance_holds", asset=dg.AssetKey(["monitoring", "live_performance"]),
                              description="WARN: ROC AUC more than 0.03 below the champion's test AUC or calibration error "
                              "above 0.05; ERROR: more than 0.06 below, or calibration error above 0.10."),
            dg.AssetCheckSpec("champion_is_fresh", asset=dg.AssetKey(["monitoring", "live_performance"]),
                              description=f"Freshness policy of the model: the champion was trained on data at most {retrain_policy.max_model_age_days} "
                              "days old (LEAD_SCORING_RETRAIN_MAX_MODEL_AGE_DAYS). The sensor retrain_on_stale_model retrains when it fails."),
        ],
    )
    def live_performance(context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
        from lead_scoring.monitoring import drift
        from lead_scoring.steps import monitoring as compute

        as_of = scoring_as_of(context.partition_key)
        client, champion = _champion(mlflow)
        wh = warehouse.get()
        frame = compute.live_performance(wh, settings, as_of, str(champion.version), compute.champion_test_roc_auc(client, champion))
        compute.write(wh, tables.LIVE_PERFORMANCE, frame, as_of)
        level = drift.worst(frame.severity)
        problem = "; ".join(
            f"{r.window_days}-day ROC AUC {r.roc_auc:.3f} vs test {r.champion_test_roc_auc:.3f}, calibration error {r.calibration_error:.3f}"
            for r in frame[frame.severity != "ok"].itertuples()
        )
        state = compute.monitoring_state(wh)
        fresh = triggers.freshness_decision(
            triggers.MonitoringState(as_of, {}, None, state.champion_trained, state.champion_version, []), settings.policies.retrain
        )
        return dg.MaterializeResult(
            metadata={**{f"roc_auc_{r.window_days}d": _number(r.roc_auc) for r in frame.itertuples()},
                      **{f"labelled_rows_{r.window_days}d": int(r.labelled_rows) for r in frame.itertuples()},
                      "champion_test_roc_auc": float(frame.champion_test_roc_auc.iloc[0])},
            check_results=[
                _check("live_performance_holds", level, f"live performance as of {as_of}: {problem}"),
                _check("champion_is_fresh", "error" if fresh.launch else "ok", fresh.reason, champion_trained_as_of=str(state.champion_trained)),
            ],
        )

    return dg.Definitions(
        assets=[champion_reference, source_freshness, feature_drift, prediction_drift, live_performance],
        asset_checks=[sources_fresh_for_training],
    )
