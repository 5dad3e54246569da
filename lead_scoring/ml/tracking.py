"""Log a training outcome to MLflow and register the model as the challenger."""

from __future__ import annotations

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature

from lead_scoring.ml import model as model_lib
from lead_scoring.ml.registry import CHALLENGER, TRUSTED_TYPES, git_commit, set_alias
from lead_scoring.ml.training import TrainingOutcome
from lead_scoring.settings import REGISTERED_MODEL


@dataclass(frozen=True)
class LoggedModel:
    run_id: str
    version: str
    experiment_id: str


def log_training_run(
    client: MlflowClient,
    outcome: TrainingOutcome,
    test_rows: pd.DataFrame,
    run_name: str,
    tags: dict[str, str],
    split_plan: dict[str, str],
) -> LoggedModel:
    features = [f.name for f in outcome.features]
    example = model_lib.feature_frame(test_rows.head(5), outcome.features)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags({**tags, "git_commit": git_commit(), "features": ",".join(features)})
        mlflow.log_params({**outcome.params, "seed": outcome.seed, "n_features": len(features), **split_plan})
        mlflow.log_params({f"rows_{name}": n for name, n in outcome.rows.items()})
        mlflow.log_metrics(outcome.metrics)
        mlflow.log_metrics({f"baseline_{k}": v for k, v in outcome.baseline_metrics.items()})
        if outcome.bayes_roc_auc is not None:
            mlflow.log_metrics(
                {"bayes_roc_auc": outcome.bayes_roc_auc, "bayes_gap_roc_auc": outcome.bayes_roc_auc - outcome.metrics["roc_auc"]}
            )
        mlflow.log_dict({"grade_bands": outcome.grade_bands, "features": features}, "model_card.json")
        info = mlflow.sklearn.log_model(
            outcome.model,
            name="model",
            serialization_format="skops",
            skops_trusted_types=TRUSTED_TYPES,
            signature=infer_signature(example, outcome.model.predict_proba(example)[:, 1]),
            input_example=example,
            registered_model_name=REGISTERED_MODEL,
        )
    version = str(info.registered_model_version)
    for grade, threshold in outcome.grade_bands.items():
        client.set_model_version_tag(REGISTERED_MODEL, version, f"grade_band_{grade}", f"{threshold:.6f}")
    client.set_model_version_tag(REGISTERED_MODEL, version, "roc_auc", f"{outcome.metrics['roc_auc']:.4f}")
    set_alias(client, CHALLENGER, version)
    return LoggedModel(run.info.run_id, version, run.info.experiment_id)
