"""Features come from the dbt manifest: documented, typed, known at scoring time, same in training and serving."""

import copy

import pytest

from lead_scoring.ml import features
from lead_scoring.settings import Settings


@pytest.fixture(scope="module")
def manifest():
    return features.load_manifest(Settings.from_env().dbt_manifest_path)


def test_training_and_serving_declare_the_same_documented_features(manifest):
    contract = features.feature_contract(Settings.from_env().dbt_manifest_path)
    assert len(contract) >= 15
    assert {f.feature_type for f in contract} == {"numeric", "categorical", "boolean"}
    assert all(f.description.strip() for f in contract)
    assert "lead_id" not in {f.name for f in contract}
    assert not {"email", "phone", "full_name", "converted_within_30d"} & {f.name for f in contract}


def test_every_model_and_column_is_described(manifest):
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        assert node["description"].strip(), node["name"]
        for column, spec in node["columns"].items():
            assert spec.get("description", "").strip(), f"{node['name']}.{column}"


def _node(manifest, name):
    return next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == name)


def test_a_feature_not_known_at_scoring_time_is_refused(manifest):
    broken = copy.deepcopy(manifest)
    column = next(c for c in _node(broken, "lead_snapshots")["columns"].values() if features._column_meta(c).get("feature"))
    column.setdefault("config", {}).setdefault("meta", {})["known_at_scoring_time"] = False
    column["meta"] = {**column.get("meta", {}), "known_at_scoring_time": False}
    with pytest.raises(features.FeatureContractError, match="known_at_scoring_time"):
        features.model_features(broken, "lead_snapshots")


def test_monotone_promises_are_read_and_checked(manifest):
    contract = {f.name: f for f in features.model_features(manifest, "lead_snapshots")}
    assert {name for name, f in contract.items() if f.monotone} == {"demo_requested_30d", "pricing_page_view_30d"}
    assert contract["demo_requested_30d"].sign == 1 and contract["country"].sign == 0
    broken = copy.deepcopy(manifest)
    column = _node(broken, "lead_snapshots")["columns"]["country"]
    column["config"]["meta"]["monotone"] = "increasing"
    with pytest.raises(features.FeatureContractError, match="country: meta.monotone"):
        features.model_features(broken, "lead_snapshots")


def test_a_feature_missing_from_serving_is_refused(manifest, tmp_path):
    import json

    broken = copy.deepcopy(manifest)
    serving = _node(broken, "lead_features_current")
    dropped = next(name for name, c in serving["columns"].items() if features._column_meta(c).get("feature"))
    del serving["columns"][dropped]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(features.FeatureContractError, match=dropped):
        features.feature_contract(path)


def test_missing_manifest_says_how_to_build_it(tmp_path):
    with pytest.raises(features.FeatureContractError, match="make manifest"):
        features.load_manifest(tmp_path / "nope.json")
