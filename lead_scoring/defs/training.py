"""Training: the training set, the candidate model (tracked in MLflow) and its promotion.

The work is in ``lead_scoring.steps``, imported inside the assets so that
loading the code location does not import scikit-learn and MLflow.
"""

import dagster as dg

from lead_scoring import tables
from lead_scoring.defs import catalog
from lead_scoring.defs.partitions import DBT_BUILD_TAG, WAREHOUSE_WRITER_TAG
from lead_scoring.resources import MlflowResource, WarehouseResource
from lead_scoring.settings import Settings

SEED = 7


class TrainingConfig(dg.Config):
    seed: int = SEED


def trigger_of(context: dg.AssetExecutionContext) -> str:
    tags = context.run.tags
    if "lead_scoring/trigger" in tags:  # set by the monitoring sensors, e.g. drift:feature_drift
        return tags["lead_scoring/trigger"]
    if "dagster/schedule_name" in tags:
        return "schedule"
    if "dagster/sensor_name" in tags:
        return "sensor"
    return "manual"


@dg.asset(
    deps=[dg.AssetKey(["marts", "lead_snapshots"])],
    group_name="training",
    kinds={"python", "duckdb"},
    owners=["team:data-science"],
    description="Mature snapshots only, split by the lead's creation date into train / validation / test periods.",
    metadata={"dagster/table_name": tables.TRAINING_SET},
)
def training_set(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from lead_scoring import steps

    frame, plan, dropped = steps.build_training_set(warehouse.get(), Settings.from_env())
    by_split = frame.groupby("split")["converted_within_30d"].agg(["size", "mean"])
    context.log.info(f"training set: {len(frame)} mature snapshots, split at {plan.as_dict()}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "leads": int(frame["lead_id"].nunique()),
            **{f"rows_{s}": int(by_split.loc[s, "size"]) for s in by_split.index},
            **{f"conversion_rate_{s}": float(by_split.loc[s, "mean"]) for s in by_split.index},
            **plan.as_dict(),
            **{f"dropped_repeated_rows_{s}": n for s, n in dropped.items() if s != "train"},
        }
    )


@dg.asset(
    deps=[training_set, dg.AssetKey(["ground_truth", "lead_propensity"])],
    group_name="training",
    kinds={"sklearn", "mlflow"},
    owners=["team:data-science"],
    description="Gradient boosting with calibrated probabilities and the rules baseline, "
    "evaluated on the same test period, logged to MLflow and registered with alias `challenger`.",
)
def candidate_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    from lead_scoring import steps

    candidate = steps.train_candidate(
        warehouse.get(),
        mlflow.client(),
        Settings.from_env(),
        seed=config.seed,
        trigger=trigger_of(context),
        run_tags={"dagster_run_id": context.run_id},
    )
    outcome, logged = candidate.outcome, candidate.logged
    metrics = {
        "roc_auc": outcome.metrics["roc_auc"],
        "baseline_roc_auc": outcome.baseline_metrics["roc_auc"],
        "pr_auc": outcome.metrics["pr_auc"],
        "brier": outcome.metrics["brier"],
    }
    if outcome.bayes_roc_auc is not None:
        metrics["bayes_roc_auc"] = outcome.bayes_roc_auc
    context.log.info(f"model version {logged.version}: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    return dg.MaterializeResult(
        metadata={
            **metrics,
            "model_version": logged.version,
            "mlflow_run_id": logged.run_id,
            "mlflow_run": dg.MetadataValue.url(
                f"{mlflow.ui_url()}/#/experiments/{logged.experiment_id}/runs/{logged.run_id}"
            ),
            "mlflow_model_version": dg.MetadataValue.url(catalog.model_version_url(logged.version)),
        }
    )


@dg.asset(
    deps=[candidate_model],
    group_name="training",
    kinds={"mlflow"},
    owners=["team:data-science"],
    description="Moves the registry alias `champion` to the challenger if it beats the baseline and the "
    "current champion on the same test set; the old champion becomes `previous_champion`.",
)
def model_promotion(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    from lead_scoring import steps

    result = steps.promote_challenger(warehouse.get(), mlflow.client(), Settings.from_env())
    verdict = "promoted" if result.decision.promote else "rejected"
    context.log.info(f"version {result.challenger_version} {verdict}: {'; '.join(result.decision.reasons)}")
    return dg.MaterializeResult(
        metadata={
            "decision": verdict,
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in result.decision.reasons)),
            "challenger_version": result.challenger_version,
            "champion_version": result.champion_version or "none",
            **({"mlflow_champion": dg.MetadataValue.url(catalog.model_version_url(result.champion_version))}
               if result.champion_version else {}),
        }
    )


retrain_job = dg.define_asset_job(
    "retrain",
    selection=dg.AssetSelection.groups("features", "training"),
    tags={**WAREHOUSE_WRITER_TAG, **DBT_BUILD_TAG},
    description="Rebuild the dbt features, train and track a candidate, promote it if it wins.",
)
weekly_retrain = dg.ScheduleDefinition(job=retrain_job, cron_schedule="0 3 * * 1", execution_timezone="UTC")

defs = dg.Definitions(
    assets=[training_set, candidate_model, model_promotion],
    jobs=[retrain_job],
    schedules=[weekly_retrain],
)
