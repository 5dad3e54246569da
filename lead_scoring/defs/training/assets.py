"""Training assets: the training set, the candidate model (tracked in MLflow) and its promotion.

The work is in ``lead_scoring.steps.training``, imported inside the assets so that
loading the code location does not import scikit-learn and MLflow.
"""

import dagster as dg
from pydantic import Field

from lead_scoring import tables
from lead_scoring.defs import catalog
from lead_scoring.defs.partitions import DBT_BUILD_TAG, TRIGGER_TAG, WAREHOUSE_WRITER_TAG
from lead_scoring.ml.search_config import SearchConfig
from lead_scoring.ml.thresholds import ThresholdRule
from lead_scoring.platform.resources import MlflowResource, WarehouseResource
from lead_scoring.settings import Settings

SEED = 7
SEARCH = SearchConfig()
THRESHOLD = ThresholdRule()


class TrainingConfig(dg.Config):
    seed: int = Field(SEED, description="Seed of the search, the samples and the bootstrap: same seed and data, same metrics.")
    candidates: int = Field(SEARCH.candidates, description="Candidates in the hyper-parameter search (10-30 is sensible).")
    logistic_candidates: int = Field(SEARCH.logistic_candidates, description="How many of them are logistic regression; the rest gradient boosting.")
    search_rows: int = Field(SEARCH.search_rows, description="Each candidate is fitted on a sample of at most this many training rows.")
    final_rows: int = Field(SEARCH.final_rows, description="The chosen candidate is refitted on at most this many training rows.")
    threshold_rule: str = Field(THRESHOLD.rule, description="Which leads to call: `capacity` (the top share) or `cost_ratio`.")
    top_share: float = Field(THRESHOLD.top_share, description="capacity rule: share of leads sales can call.")
    cost_ratio: float = Field(THRESHOLD.cost_ratio, description="cost_ratio rule: cost of a missed conversion in wasted calls.")


def trigger_of(context: dg.AssetExecutionContext) -> tuple[str, str]:
    """(schedule | sensor | manual, what exactly: the sensor's reason tag, the schedule's or sensor's name)."""
    tags = context.run.tags
    if "dagster/schedule_name" in tags:
        return "schedule", tags.get(TRIGGER_TAG, tags["dagster/schedule_name"])
    if "dagster/sensor_name" in tags:
        return "sensor", tags.get(TRIGGER_TAG, tags["dagster/sensor_name"])
    return "manual", tags.get(TRIGGER_TAG, "")


@dg.asset(
    deps=[dg.AssetKey(["marts", "lead_snapshots"])],
    group_name="training",
    kinds={"python", "duckdb"},
    description="Mature snapshots only (at most the training_set policy's max_rows, sampled by snapshot), split by the "
    "lead's creation date into train / validation / test periods.",
    metadata={"dagster/table_name": tables.TRAINING_SET},
)
def training_set(context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
    from lead_scoring.steps import training as training_steps

    built = training_steps.build_training_set(warehouse.get(), settings)
    frame, plan, dropped = built.frame, built.plan, built.dropped
    by_split = frame.groupby("split")["converted_within_30d"].agg(["size", "mean"])
    sampled = f" (sampled at {built.sample.share:.1%} of {built.sample.rows})" if built.sample.sampled else ""
    context.log.info(f"training set: {len(frame)} mature snapshots{sampled}, split at {plan.as_dict()}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "leads": int(frame["lead_id"].nunique()),
            **{f"rows_{s}": int(by_split.loc[s, "size"]) for s in by_split.index},
            **{f"conversion_rate_{s}": float(by_split.loc[s, "mean"]) for s in by_split.index},
            **plan.as_dict(),
            **built.sample.as_dict(),
            **{f"dropped_repeated_rows_{s}": n for s, n in dropped.items() if s != "train"},
        }
    )


@dg.asset(
    deps=[training_set, dg.AssetKey(["ground_truth", "lead_propensity"])],
    group_name="training",
    kinds={"sklearn", "mlflow"},
    description="Seeded hyper-parameter search (logistic regression and gradient boosting) on the validation "
    "period, isotonic calibration, and the rules baseline, all evaluated on the same test period, logged to "
    "MLflow (nested candidate runs, plots, slice metrics) and registered with alias `challenger`.",
    check_specs=[dg.AssetCheckSpec(
        "features_are_beneficial", asset="candidate_model",
        description="WARN: a feature whose permutation importance (the test ROC AUC lost when its values are shuffled, "
        "on a sample of the test rows, repeated) is not above noise, mean minus two standard deviations at most 0: it adds nothing "
        "the model can measure."),
        dg.AssetCheckSpec(
        "features_within_cost_budget", asset="candidate_model",
        description="WARN: a feature that adds a larger share of the model's scoring time than the feature-cost policy "
        "allows and less validation ROC AUC than it requires, by the retrain's drop-one refits (the MLflow run's "
        "tables/feature_costs.json; LEAD_SCORING_FEATURE_COST_*)."),
    ],
)
def candidate_model(
    context: dg.AssetExecutionContext, config: TrainingConfig, warehouse: WarehouseResource, mlflow: MlflowResource,
    settings: dg.ResourceParam[Settings],
) -> dg.MaterializeResult:
    from lead_scoring.ml import training
    from lead_scoring.steps import training as training_steps

    trigger, detail = trigger_of(context)
    candidate = training_steps.train_candidate(
        warehouse.get(),
        mlflow.client(),
        settings,
        seed=config.seed,
        trigger=trigger,
        run_tags={"dagster_run_id": context.run_id, "trigger_detail": detail},
        search_config=SearchConfig(config.candidates, config.logistic_candidates, config.search_rows, config.final_rows),
        threshold_rule=ThresholdRule(config.threshold_rule, config.top_share, config.cost_ratio),
    )
    outcome, logged = candidate.outcome, candidate.logged
    metrics = outcome.logged_metrics()
    shown = [name for name in ("test_roc_auc", "test_roc_auc_ci_low", "test_roc_auc_ci_high", "baseline_test_roc_auc",
                               "bayes_test_roc_auc", "bayes_gap_test_roc_auc", "test_pr_auc", "test_ece",
                               "test_min_slice_roc_auc") if name in metrics]
    context.log.info(f"model version {logged.version} ({outcome.search.best.family}): "
                     + ", ".join(f"{k}={metrics[k]:.4f}" for k in shown))
    idle = training.not_beneficial(outcome.importance)
    return dg.MaterializeResult(
        check_results=[dg.AssetCheckResult(
            check_name="features_are_beneficial",
            passed=idle.empty,
            severity=dg.AssetCheckSeverity.WARN,
            description=(f"{len(idle)} of {len(outcome.importance)} features add no measurable ROC AUC: "
                         + ", ".join(f"{r.feature} ({r.mean_auc_drop:+.4f} ± {r.std_auc_drop:.4f})" for r in idle.itertuples()))
            if len(idle) else None,
            metadata={"not_beneficial": ", ".join(idle.feature) or "none", "features": len(outcome.importance)},
        ), _cost_budget_check(outcome.costs, settings)],
        metadata={
            **{name: metrics[name] for name in shown},
            "model_family": outcome.search.best.family,
            "search_candidates": outcome.search.candidates,
            "model_version": logged.version,
            "mlflow_run_id": logged.run_id,
            "mlflow_run": dg.MetadataValue.url(
                catalog.mlflow_run_url(settings, logged.experiment_id, logged.run_id)
            ),
            "mlflow_model_version": dg.MetadataValue.url(catalog.model_version_url(settings, logged.version)),
        }
    )


def _cost_budget_check(costs, settings: Settings) -> dg.AssetCheckResult:
    policy = settings.policies.feature_cost
    over = costs.over_budget(policy)
    return dg.AssetCheckResult(
        check_name="features_within_cost_budget",
        passed=over.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(over)} features add more than {policy.max_scoring_time_share:.0%} of the model's scoring time "
                     f"({costs.scoring_ms_per_10k:.1f} ms per 10,000 leads) and less than {policy.min_validation_roc_auc_gain:g} "
                     "validation ROC AUC: "
                     + ", ".join(f"{r.feature} (+{r.marginal_scoring_ms_per_10k:.1f} ms, {r.marginal_validation_roc_auc:+.4f})"
                                 for r in over.itertuples())) if len(over) else None,
        metadata={"over_budget": ", ".join(over.feature) or "none",
                  "scoring_ms_per_10k": round(costs.scoring_ms_per_10k, 2),
                  "drop_one_refits": len(costs.table), "refit_rows": costs.refit_rows, "seconds": costs.seconds,
                  "costs": catalog.markdown_table(costs.table, ["feature", "marginal_validation_roc_auc", "marginal_scoring_ms_per_10k"], 4)},
    )


@dg.asset(
    deps=[candidate_model],
    group_name="training",
    kinds={"mlflow"},
    description="The promotion gate: the challenger and the champion are scored on the same current test rows; "
    "the challenger becomes `champion` (the old one `previous_champion`) only if it beats the rules baseline, "
    "is not worse than the champion beyond the margin and gains at least the minimum, is calibrated within the "
    "ECE bound and has no big slice under the floor (the promotion policy: LEAD_SCORING_PROMOTION_*). Before the "
    "aliases move, the challenger is shadow-scored beside the champion on today's open leads (grade agreement, score "
    "PSI); a challenger that cannot be loaded or cannot score is refused. The decision and reasons go to the version's tags.",
)
def model_promotion(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]
) -> dg.MaterializeResult:
    from lead_scoring.steps import training as training_steps

    result = training_steps.promote_challenger(warehouse.get(), mlflow.client(), settings)
    verdict = "promoted" if result.decision.promote else "rejected"
    context.log.info(f"version {result.challenger_version} {verdict}: {'; '.join(result.decision.reasons)}")
    return dg.MaterializeResult(
        metadata={
            "decision": verdict,
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in result.decision.reasons)),
            "challenger_version": result.challenger_version,
            "champion_version": result.champion_version or "none",
            **({"mlflow_champion": dg.MetadataValue.url(catalog.model_version_url(settings, result.champion_version))}
               if result.champion_version else {}),
            "previous_champion_version": result.previous_champion_version or "none",
            **result.comparison,
            "policy": dg.MetadataValue.json(settings.policies.promotion.as_dict()),
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
