"""The feature list, read from the dbt manifest: dbt is the one place features are defined.

A column is a feature when its dbt ``meta`` says ``feature: true``; its
``feature_type`` (numeric, categorical, boolean) decides its preprocessing.
An optional ``monotone: increasing`` (or ``decreasing``) on a numeric feature
promises that more of it never lowers (raises) a score, all else equal; the
models are constrained to keep that promise. Columns not known at scoring time
are refused: they would leak the outcome.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lead_scoring.errors import LeadScoringError

FEATURE_TYPES = ("numeric", "categorical", "boolean")
MONOTONE = ("increasing", "decreasing")
TRAINING_MODEL = "lead_snapshots"
SERVING_MODEL = "lead_features_current"


class FeatureContractError(LeadScoringError):
    pass


@dataclass(frozen=True)
class Feature:
    name: str
    feature_type: str
    description: str
    monotone: str | None = None

    @property
    def sign(self) -> int:
        """+1 / -1 for a promised increasing / decreasing effect, 0 for none."""
        return {"increasing": 1, "decreasing": -1}.get(self.monotone, 0)


def load_manifest(manifest_path: Path) -> dict:
    path = Path(manifest_path)
    if not path.exists():
        raise FeatureContractError(
            f"dbt manifest {path} not found: run `make manifest` (dbt parse) before loading the pipeline"
        )
    return json.loads(path.read_text())


def manifest_hash(manifest_path: Path) -> str:
    """Hash of the model definitions (not of parse timestamps), to tag training runs."""
    nodes = load_manifest(manifest_path)["nodes"]
    models = {k: v.get("checksum", {}).get("checksum") for k, v in sorted(nodes.items()) if k.startswith("model.")}
    return hashlib.sha256(json.dumps(models, sort_keys=True).encode()).hexdigest()[:16]


def _column_meta(column: dict) -> dict:
    return {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}


def model_features(manifest: dict, model_name: str) -> list[Feature]:
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model_name]
    if not nodes:
        raise FeatureContractError(f"dbt model {model_name!r} is not in the manifest")
    features = []
    for name, column in nodes[0]["columns"].items():
        meta = _column_meta(column)
        if not meta.get("feature"):
            continue
        if meta.get("feature_type") not in FEATURE_TYPES:
            raise FeatureContractError(
                f"{model_name}.{name}: meta.feature_type is {meta.get('feature_type')!r}, expected one of {FEATURE_TYPES}"
            )
        if meta.get("known_at_scoring_time") is not True:
            raise FeatureContractError(f"{model_name}.{name}: a feature must declare known_at_scoring_time: true")
        monotone = meta.get("monotone")
        if monotone is not None and (monotone not in MONOTONE or meta["feature_type"] != "numeric"):
            raise FeatureContractError(
                f"{model_name}.{name}: meta.monotone is {monotone!r}; it must be one of {MONOTONE} on a numeric feature"
            )
        features.append(Feature(name, meta["feature_type"], column.get("description", ""), monotone))
    if not features:
        raise FeatureContractError(f"dbt model {model_name!r} declares no feature columns (meta.feature: true)")
    return features


def feature_contract(manifest_path: Path) -> list[Feature]:
    """Training features; the serving model must declare exactly the same ones."""
    manifest = load_manifest(manifest_path)
    training = model_features(manifest, TRAINING_MODEL)
    serving = model_features(manifest, SERVING_MODEL)
    if [(f.name, f.feature_type, f.monotone) for f in training] != [(f.name, f.feature_type, f.monotone) for f in serving]:
        only_training = {f.name for f in training} - {f.name for f in serving}
        only_serving = {f.name for f in serving} - {f.name for f in training}
        raise FeatureContractError(
            f"{TRAINING_MODEL} and {SERVING_MODEL} declare different features "
            f"(only in training: {sorted(only_training)}, only in serving: {sorted(only_serving)})"
        )
    return training
