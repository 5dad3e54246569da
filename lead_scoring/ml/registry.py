"""MLflow tracking and the model registry, without pickle.

Models are saved in skops format and loaded only through :func:`load_model`,
which reads the ``model.skops`` file of a registry alias itself and trusts no
type outside :data:`TRUSTED_TYPES` (MLflow's own loader would trust the list
stored inside the model file). Production code loads ``@champion`` only.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import mlflow
import skops.io
import yaml
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from lead_scoring.errors import LeadScoringError
from lead_scoring.settings import EXPERIMENT, PROJECT_DIR, REGISTERED_MODEL

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS_CHAMPION = "previous_champion"

# Types in our model beyond skops' defaults; reviewed: produced by our own training code only.
TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.frozen._frozen.FrozenEstimator",
]


class ModelLoadError(LeadScoringError):
    pass


def connect(tracking_uri: str, artifacts: Path) -> MlflowClient:
    """Point MLflow at the store and make sure the experiment exists.

    With a local store the experiment's artifacts go to ``artifacts``; a
    tracking server decides its artifact location itself.
    """
    mlflow.set_tracking_uri(tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        artifact_location = None
        if not tracking_uri.startswith("http"):
            Path(artifacts).mkdir(parents=True, exist_ok=True)
            artifact_location = Path(artifacts).resolve().as_uri()
        mlflow.create_experiment(EXPERIMENT, artifact_location=artifact_location)
    mlflow.set_experiment(EXPERIMENT)
    return MlflowClient()


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def version_by_alias(client: MlflowClient, alias: str) -> ModelVersion | None:
    try:
        return client.get_model_version_by_alias(REGISTERED_MODEL, alias)
    except MlflowException:
        return None


def set_alias(client: MlflowClient, alias: str, version: str) -> None:
    client.set_registered_model_alias(REGISTERED_MODEL, alias, version)


@dataclass
class LoadedModel:
    model: object
    version: ModelVersion


def load_model(client: MlflowClient, alias: str = CHAMPION, number: str | None = None) -> LoadedModel:
    """Load ``models:/lead_scoring@<alias>`` (or version ``number``) from its skops file; never through pickle."""
    version = client.get_model_version(REGISTERED_MODEL, number) if number else version_by_alias(client, alias)
    if version is None:
        raise ModelLoadError(
            f"registered model {REGISTERED_MODEL!r} has no {alias!r} alias yet: run the `retrain` job first"
        )
    uri = f"models:/{REGISTERED_MODEL}/{number}" if number else f"models:/{REGISTERED_MODEL}@{alias}"
    local = Path(mlflow.artifacts.download_artifacts(uri))
    flavor = yaml.safe_load((local / "MLmodel").read_text())["flavors"].get("sklearn", {})
    if flavor.get("serialization_format") != "skops":
        raise ModelLoadError(
            f"{REGISTERED_MODEL} version {version.version} is stored as {flavor.get('serialization_format')!r}, "
            "not skops: refusing to unpickle it"
        )
    path = local / flavor["pickled_model"]
    untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise ModelLoadError(f"{REGISTERED_MODEL} version {version.version} holds unreviewed types {sorted(untrusted)}")
    return LoadedModel(skops.io.load(path, trusted=TRUSTED_TYPES), version)
