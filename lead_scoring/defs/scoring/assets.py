"""Scoring assets: each day the champion scores the open, consenting leads and the scores go back to the warehouse."""

import dagster as dg

from lead_scoring import tables
from lead_scoring.defs import catalog
from lead_scoring.defs.check_results import blocking_result
from lead_scoring.defs.partitions import DBT_BUILD_TAG, WAREHOUSE_WRITER_TAG, daily, scoring_as_of
from lead_scoring.ml import dependencies  # the standard library only: cheap at import
from lead_scoring.platform.resources import MlflowResource, WarehouseResource
from lead_scoring.settings import REGISTERED_MODEL, Settings

MODEL_PROMOTION = dg.AssetKey(["model_promotion"])


@dg.asset(
    deps=[MODEL_PROMOTION],
    group_name="scoring",
    kinds={"mlflow"},
    description="The model version scoring will use: whatever `models:/lead_scoring@champion` points at when "
    "the run starts (after a promotion or a `lead-scoring rollback`). Its blocking check loads it.",
)
def champion_model(mlflow: MlflowResource) -> dg.MaterializeResult:
    from lead_scoring.ml import registry

    champion = registry.version_by_alias(mlflow.client(), registry.CHAMPION)
    return dg.MaterializeResult(
        metadata={"champion_version": champion.version if champion else "none", "run_id": champion.run_id if champion else "none"}
    )


@dg.asset_check(
    asset=champion_model,
    blocking=True,
    description="The `champion` alias exists and its model loads (skops, reviewed types only, never pickle), "
    "so scoring never starts without a usable model.",
)
def champion_loads(mlflow: MlflowResource) -> dg.AssetCheckResult:
    from lead_scoring.ml import registry

    try:
        version = registry.load_model(mlflow.client(), registry.CHAMPION).version.version
    except registry.ModelLoadError as error:
        return blocking_result(False, str(error), champion_version="none")
    return blocking_result(True, "", champion_version=version)


@dg.asset_check(
    asset=champion_model,
    description=f"WARN: a library the champion was trained with ({', '.join(dependencies.TRACKED)}) runs at another "
    "version now: its predictions, features or checks may differ from what was evaluated. Retrain, or pin the version back.",
)
def libraries_unchanged_since_training(mlflow: MlflowResource) -> dg.AssetCheckResult:
    from lead_scoring.ml import registry

    champion = registry.version_by_alias(mlflow.client(), registry.CHAMPION)
    if champion is None:
        return dg.AssetCheckResult(passed=True, description="no champion yet", metadata={"changed": "none"})
    changed = dependencies.changes(champion.tags, dependencies.installed())
    listed = ", ".join(f"{package} {then} -> {now}" for package, (then, now) in changed.items())
    return dg.AssetCheckResult(
        passed=not changed,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"champion version {champion.version} was trained with other libraries: {listed}" if changed else None,
        metadata={"changed": listed or "none", "champion_version": champion.version},
    )


def build(settings: Settings) -> dg.Definitions:
    partitions = daily(settings)

    @dg.asset(
        # source_freshness carries a blocking check: a day with a stale source is not scored.
        deps=[dg.AssetKey(["marts", "lead_features_current"]), MODEL_PROMOTION, champion_model, dg.AssetKey(["monitoring", "source_freshness"])],
        partitions_def=partitions,
        group_name="scoring",
        kinds={"python", "duckdb"},
        description=(
            "Scores of the open, consenting leads as of the day after the partition: probability, "
            "score 0-100, grade A-D, the top three reasons (feature and direction) and the model version, "
            "from `models:/lead_scoring@champion`."
        ),
        metadata={"dagster/table_name": tables.SCORES},
    )
    def lead_scores(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, mlflow: MlflowResource, settings: dg.ResourceParam[Settings]
    ) -> dg.MaterializeResult:
        from lead_scoring.steps import scoring as scoring_steps

        as_of = scoring_as_of(context.partition_key)
        scores, version = scoring_steps.score_day(warehouse.get(), mlflow.client(), settings, as_of)
        grades = scores["grade"].value_counts().reindex(list("ABCD"), fill_value=0)
        context.log.info(f"scored {len(scores)} leads as of {as_of} with {REGISTERED_MODEL} v{version}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(scores),
                "as_of_date": as_of.isoformat(),
                "model_version": version,
                "mlflow_model_version": dg.MetadataValue.url(catalog.model_version_url(settings, version)),
                "mean_probability": float(scores["probability"].mean()),
                **{f"grade_{g}": int(n) for g, n in grades.items()},
            }
        )


    daily_scoring_job = dg.define_asset_job(
        "daily_scoring",
        # Only what scoring needs (the training mart is rebuilt by `retrain`), plus the day's ingestion.
        selection=dg.AssetSelection.assets(lead_scores, champion_model)
        | dg.AssetSelection.assets(dg.AssetKey(["marts", "lead_features_current"])).upstream()
        | dg.AssetSelection.groups("ingestion")
        | dg.AssetSelection.groups("monitoring"),
        partitions_def=partitions,
        tags={**WAREHOUSE_WRITER_TAG, **DBT_BUILD_TAG},
        # A day's dbt tests check what the day can change; the tests over the whole history run with `retrain`.
        config={"ops": {"dbt_models": {"config": {"whole_history_tests": False}}}},
        description="Ingest the landing day, rebuild the dbt features as of the next morning, score the open leads, monitor.",
    )
    daily_scoring_schedule = dg.build_schedule_from_partitioned_job(daily_scoring_job, hour_of_day=1)

    return dg.Definitions(
        assets=[champion_model, lead_scores],
        asset_checks=[champion_loads, libraries_unchanged_since_training],
        jobs=[daily_scoring_job],
        schedules=[daily_scoring_schedule],
    )
