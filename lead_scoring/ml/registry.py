"""MLflow tracking and the model registry, without pickle.

Models are saved in skops format and loaded only through :func:`load_model`,
which reads the ``model.skops`` file of a registry alias itself and trusts no
type outside :data:`TRUSTED_TYPES` (MLflow's own loader would trust the list
stored inside the model file). Production code loads ``@champion`` only.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
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
    # Gradient boosting with native categories validates its input with check_array through a partial.
    "functools.partial",
    "sklearn.utils.validation.check_array",
]


MAX_TAG_CHARS = 5000  # MLflow's limit on a model version tag value


class ModelLoadError(LeadScoringError):
    pass


class NoPreviousChampion(LeadScoringError):
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def record_decision(client: MlflowClient, version: str, promoted: bool, reasons: list[str], comparison: dict[str, float],
                    policy: dict[str, float], champion_version: str | None) -> None:
    """The promotion gate's verdict on ``version``, kept on the version itself (visible in the MLflow UI)."""
    tags = {
        "promotion_decision": "promoted" if promoted else "rejected",
        "promotion_reasons": "; ".join(reasons)[:MAX_TAG_CHARS],
        "promotion_decided_at": _now(),
        "promotion_compared_with_champion": champion_version or "none",
        "promotion_policy": json.dumps(policy, sort_keys=True),
        **{f"promotion_{name}": f"{value:.4f}" if isinstance(value, float) else str(value) for name, value in comparison.items()},
    }
    for key, value in tags.items():
        client.set_model_version_tag(REGISTERED_MODEL, version, key, value)


@dataclass
class Rollback:
    champion: str
    rolled_back: str


def rollback_champion(client: MlflowClient) -> Rollback:
    """Point ``champion`` back at ``previous_champion`` (which is then cleared: a second rollback has nothing to undo)."""
    current = version_by_alias(client, CHAMPION)
    previous = version_by_alias(client, PREVIOUS_CHAMPION)
    if previous is None:
        where = f"version {current.version} stays champion" if current else "there is no champion either"
        raise NoPreviousChampion(f"registered model {REGISTERED_MODEL!r} has no {PREVIOUS_CHAMPION!r} alias: nothing to roll back to ({where})")
    set_alias(client, CHAMPION, previous.version)
    client.delete_registered_model_alias(REGISTERED_MODEL, PREVIOUS_CHAMPION)
    stamp = _now()
    client.set_model_version_tag(REGISTERED_MODEL, previous.version, "restored_by_rollback_at", stamp)
    if current is not None:
        client.set_model_version_tag(REGISTERED_MODEL, current.version, "rolled_back_at", stamp)
    return Rollback(champion=str(previous.version), rolled_back=str(current.version) if current else "none")


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
    try:
        untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    except (OSError, zipfile.BadZipFile, ValueError) as error:  # a missing or damaged file, not a store outage
        raise ModelLoadError(f"{REGISTERED_MODEL} version {version.version}: {path.name} cannot be read ({type(error).__name__}: {error})") from error
    if untrusted:
        raise ModelLoadError(f"{REGISTERED_MODEL} version {version.version} holds unreviewed types {sorted(untrusted)}")
    return LoadedModel(skops.io.load(path, trusted=TRUSTED_TYPES), version)
