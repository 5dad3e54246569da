"""Log a training run to MLflow and register its model as the challenger.

One parent run per training (named by trigger and date) holds the tags,
params, every metric, the plots, the data it was trained on (as MLflow dataset
inputs with their digests) and the model (skops, with signature and input
example). Each search candidate is a nested run with its params and validation
score.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import infer_signature
from mlflow.types import ColSpec, Schema

from lead_scoring.ml import dependencies
from lead_scoring.ml import model as model_lib
from lead_scoring.ml import plots
from lead_scoring.ml.dataset import LABEL
from lead_scoring.ml.features import Feature
from lead_scoring.ml.registry import CHALLENGER, TRUSTED_TYPES, git_commit, set_alias
from lead_scoring.ml.training import TrainingOutcome
from lead_scoring.settings import REGISTERED_MODEL

MODEL_CARD = "model_card.json"
# What loading and scoring a stored model imports. Named rather than inferred: MLflow's inference
# imports the model in a subprocess (2.9 s per training) and also listed pytest and rich.
MODEL_DISTRIBUTIONS = ("mlflow", "numpy", "pandas", "scikit-learn", "scipy", "skops")


def model_requirements() -> list[str]:
    """The pinned distributions a stored model needs, at this environment's versions."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in MODEL_DISTRIBUTIONS]


@dataclass(frozen=True)
class LoggedModel:
    run_id: str
    version: str
    experiment_id: str


def data_digest(frame: pd.DataFrame) -> str:
    """Hash of every value of every row (order included): the same data gives the same digest."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()[:16]


def _log_inputs(training_set: pd.DataFrame, columns: list[str], source: str) -> dict[str, str]:
    digests = {}
    for split in ("train", "validation", "test"):
        rows = training_set.loc[training_set["split"] == split, columns]
        digests[split] = data_digest(rows)
        dataset = mlflow.data.from_pandas(rows, source=source, targets=LABEL, name=f"ml.training_set[{split}]", digest=digests[split])
        dataset.schema = dataset_schema(rows)  # MLflow infers it when first read, walking every value: 2 s for 83,000 rows
        mlflow.log_input(dataset, context="training" if split == "train" else split)
    return digests


def dataset_schema(rows: pd.DataFrame, sample: int = 1_000) -> Schema:
    """The schema MLflow infers from ``rows``: types from up to ``sample`` values of each column, required from all."""
    specs = []
    for column in rows.columns:
        values = rows[[column]].dropna().head(sample)
        (inferred,) = infer_signature(values if len(values) else rows[[column]].head(sample)).inputs.inputs
        specs.append(ColSpec(inferred.type, column, required=bool(rows[column].notna().all())))
    return Schema(specs)


def _log_candidates(outcome: TrainingOutcome, run_name: str) -> None:
    for index, trial in enumerate(outcome.search.trials):
        with mlflow.start_run(run_name=f"{run_name} / candidate {index:02d} {trial.family}", nested=True):
            mlflow.set_tags({"candidate": str(index), "family": trial.family, "chosen": str(index == outcome.search.best_index)})
            mlflow.log_params({"family": trial.family, **trial.params, "fit_rows": outcome.search.search_rows})
            mlflow.log_metrics({"validation_roc_auc": trial.validation_roc_auc, "fit_seconds": trial.fit_seconds})


def _log_plots(outcome: TrainingOutcome, promotion_floor: float | None) -> None:
    import matplotlib.pyplot as plt  # pyplot once ml.plots has chosen the Agg backend

    predictions = outcome.test_predictions
    y = predictions["label"].to_numpy()
    scores = {name: predictions[name].to_numpy() for name in predictions.columns if name != "label"}
    figures = {
        "plots/roc_curve.png": plots.roc(y, scores),
        "plots/precision_recall_curve.png": plots.precision_recall(y, scores),
        "plots/calibration.png": plots.calibration(y, scores),
        "plots/cumulative_gain_and_lift.png": plots.gain_and_lift(y, scores),
        "plots/confusion_matrix.png": plots.confusion(y, scores["model"], outcome.threshold, outcome.threshold_rule.describe()),
        "plots/permutation_importance.png": plots.importance(outcome.importance),
        "plots/slice_roc_auc.png": plots.slice_auc(outcome.evaluation.slices, promotion_floor),
    }
    for path, figure in figures.items():
        mlflow.log_figure(figure, path)
        plt.close(figure)


def model_card(outcome: TrainingOutcome) -> dict:
    """What scoring and the report need to know about the model, besides the model itself."""
    return {
        "features": [{"name": f.name, "type": f.feature_type, "monotone": f.monotone} for f in outcome.features],
        "family": outcome.search.best.family,
        "params": outcome.search.best.params,
        "grade_bands": outcome.grade_bands,
        "threshold": outcome.threshold,
        "threshold_rule": outcome.threshold_rule.as_params(),
        "reason_reference": outcome.reference,
        "baseline_rule": outcome.baseline_rule,
    }


def log_training_run(
    client: MlflowClient,
    outcome: TrainingOutcome,
    training_set: pd.DataFrame,
    run_name: str,
    tags: dict[str, str],
    params: dict[str, object],
    data_source: str = "ml.training_set",
    promotion_floor: float | None = None,
) -> LoggedModel:
    features = [f.name for f in outcome.features]
    test_rows = training_set[training_set["split"] == "test"]
    example = model_lib.feature_frame(test_rows.head(5), outcome.features)
    best = outcome.search.best
    with mlflow.start_run(run_name=run_name) as run:
        digests = _log_inputs(training_set, ["lead_id", "as_of_date", *features, LABEL], data_source)
        libraries = dependencies.as_tags(dependencies.installed())
        mlflow.set_tags({**tags, **libraries, "git_commit": git_commit(), "features": ",".join(features), "model_family": best.family,
                         "training_data_digest": digests["train"], "test_data_digest": digests["test"],
                         "baseline_rule": outcome.baseline_rule})
        mlflow.log_params({
            **params, "seed": outcome.seed, "n_features": len(features), "family": best.family,
            **{f"model_{k}": v for k, v in best.params.items()},
            "candidates": outcome.search.candidates, "search_rows": outcome.search.search_rows,
            "final_fit_rows": outcome.search.final_rows, **outcome.threshold_rule.as_params(),
            **{f"rows_{name}": n for name, n in outcome.rows.items()},
        })
        mlflow.log_metrics(outcome.logged_metrics())
        _log_candidates(outcome, run_name)
        mlflow.log_table(outcome.evaluation.slices, "tables/slice_metrics.json")
        mlflow.log_table(outcome.baseline_evaluation.slices, "tables/baseline_slice_metrics.json")
        mlflow.log_table(outcome.search.table(), "tables/search_candidates.json")
        mlflow.log_table(outcome.importance, "tables/permutation_importance.json")
        mlflow.log_table(outcome.costs.table, "tables/feature_costs.json")
        mlflow.log_metrics({"cost_table_validation_roc_auc": outcome.costs.validation_roc_auc,
                            "cost_table_scoring_ms_per_10k": outcome.costs.scoring_ms_per_10k,
                            "cost_table_seconds": outcome.costs.seconds})
        _log_plots(outcome, promotion_floor)
        mlflow.log_dict(model_card(outcome), MODEL_CARD)
        info = mlflow.sklearn.log_model(
            outcome.model,
            name="model",
            serialization_format="skops",
            skops_trusted_types=TRUSTED_TYPES,
            signature=infer_signature(example, outcome.model.predict_proba(example)[:, 1]),
            input_example=example,
            pip_requirements=model_requirements(),
            registered_model_name=REGISTERED_MODEL,
        )
    version = str(info.registered_model_version)
    version_tags = {f"grade_band_{grade}": f"{threshold:.6f}" for grade, threshold in outcome.grade_bands.items()}
    version_tags.update({"test_roc_auc": f"{outcome.metrics['roc_auc']:.4f}", "decision_threshold": f"{outcome.threshold:.6f}",
                         "model_family": best.family, "training_data_digest": digests["train"], **libraries})
    for key, value in version_tags.items():
        client.set_model_version_tag(REGISTERED_MODEL, version, key, value)
    set_alias(client, CHALLENGER, version)
    return LoggedModel(run.info.run_id, version, run.info.experiment_id)


def load_model_card(run_id: str) -> dict:
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/{MODEL_CARD}")


def card_features(card: dict) -> list[Feature]:
    """The features a registered model was trained on, as its model card recorded them."""
    return [Feature(f["name"], f["type"], "", f.get("monotone")) for f in card["features"]]
