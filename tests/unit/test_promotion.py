"""The promotion gate (each condition both ways) and rollback on a real MLflow registry."""

import pandas as pd
import pytest

from lead_scoring.ml import registry
from lead_scoring.ml.promotion import decide
from lead_scoring.policies import LeakagePolicy, PromotionPolicy
from lead_scoring.quality.guards import LeakageEvidence
from lead_scoring.settings import REGISTERED_MODEL
from tests.conftest import run_cli

SLICES = pd.DataFrame({"slice": ["country", "country", "country"], "value": ["US", "DE", "FR"], "rows": [5000, 800, 40],
                       "conversions": [800, 120, 6], "prediction_bias": [0.004, -0.02, 0.15],
                       "roc_auc": [0.80, 0.74, 0.40], "roc_auc_ci_low": [0.78, 0.69, 0.20], "roc_auc_ci_high": [0.82, 0.79, 0.60]})
POLICY = PromotionPolicy(auc_margin=0.01, min_gain=0.0, max_ece=0.03, slice_floor=0.6, min_slice_rows=300)
HONEST = LeakageEvidence("lead_source", 0.66, {"lead_source": "univariate ROC AUC 0.660"})
DEAL_STAGE = LeakageEvidence("lead_source", 0.66, {"deal_stage": "whether it is filled in ranks the outcome with ROC AUC 0.880 (its values 0.700)"})


def verdict(**changes):
    args = {"challenger_auc": 0.80, "baseline_auc": 0.70, "champion_auc": 0.79, "challenger_ece": 0.01, "slices": SLICES, "leakage": HONEST}
    args.update(changes)
    return decide(**args, policy=changes.pop("policy", POLICY), leakage_policy=LeakagePolicy())


def test_a_good_challenger_is_promoted_with_every_reason_stated():
    decision = verdict()
    assert decision.promote
    assert len(decision.reasons) == 7 and all(r.startswith("PASS") for r in decision.reasons)
    assert decision.reasons[0].startswith("PASS: no probable leakage: test ROC AUC 0.8000 is below 0.97 and +0.1400 against "
                                          "the best honest single feature (lead_source, 0.6600)")
    assert "FR" not in " ".join(decision.reasons)  # 40 rows: too small a slice to hold to the floor


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"challenger_auc": 0.69}, "rules baseline"),
        ({"challenger_auc": 0.975, "champion_auc": 0.97}, "probable leakage: test ROC AUC 0.9750 is at least 0.97"),
        ({"leakage": LeakageEvidence("lead_source", 0.45, {})}, "is +0.3500 above the best honest single feature (lead_source, 0.4500), "
                                                               "more than +0.30"),
        ({"champion_auc": 0.82}, "may lose at most"),
        ({"challenger_ece": 0.05}, "calibration error"),
        ({"slices": SLICES.assign(roc_auc=[0.80, 0.55, 0.40], roc_auc_ci_low=[0.78, 0.50, 0.20], roc_auc_ci_high=[0.82, 0.59, 0.60])},
         "country=DE 0.550 [0.500, 0.590]"),
        # Germany scored twice too high: 0.30 promised against 0.15 converted (FR, 6 conversions, is not judged)
        ({"slices": SLICES.assign(prediction_bias=[0.004, 0.15, 0.15])}, "country=DE predicted 0.300 vs observed 0.150"),
    ],
)
def test_each_condition_alone_rejects(changes, failing):
    decision = verdict(**changes)
    assert not decision.promote
    failed = [r for r in decision.reasons if r.startswith("FAIL")]
    assert len(failed) >= 1 and failing in failed[0]


def test_a_model_too_good_to_be_true_is_refused_with_the_columns_that_carry_it():
    """A deal-stage column filled in only once leads convert: the AUC is perfect and so is the baseline's."""
    decision = verdict(challenger_auc=1.0, baseline_auc=0.999, champion_auc=None, leakage=DEAL_STAGE)
    assert not decision.promote
    assert decision.reasons[0].startswith("FAIL: probable leakage: test ROC AUC 1.0000 is at least 0.97; the columns likeliest to "
                                          "carry it: deal_stage (whether it is filled in ranks the outcome with ROC AUC 0.880")
    assert "post_outcome" in decision.reasons[0]
    assert verdict(challenger_auc=0.96, champion_auc=None, leakage=LeakageEvidence("lead_source", 0.70, {})).promote  # 0.96, +0.26: passes
    assert not verdict(challenger_auc=0.96, champion_auc=None, leakage=LeakageEvidence("lead_source", 0.70, {}),
                       ).reasons[0].startswith("FAIL")


def test_a_slice_judged_by_its_interval_not_its_point_estimate():
    noisy = SLICES.assign(roc_auc=[0.80, 0.57, 0.40], roc_auc_ci_low=[0.78, 0.50, 0.20], roc_auc_ci_high=[0.82, 0.64, 0.60])
    assert verdict(slices=noisy).promote  # below the floor by chance: its interval reaches above 0.60
    credibly_low = noisy.assign(roc_auc_ci_high=[0.82, 0.599, 0.60])
    decision = verdict(slices=credibly_low)
    assert not decision.promote and "country=DE 0.570 [0.500, 0.599] (800 rows)" in decision.reasons[-2]


def test_margin_and_minimum_gain():
    assert verdict(champion_auc=0.805).promote is False  # worse, within the margin, but no gain
    tolerant = PromotionPolicy(auc_margin=0.01, min_gain=-0.01, max_ece=0.03)
    assert decide(0.80, 0.7, 0.805, 0.01, SLICES, tolerant, leakage=HONEST).promote  # a fresher model may lose a little
    assert not decide(0.80, 0.7, 0.82, 0.01, SLICES, tolerant, leakage=HONEST).promote  # but not beyond the margin
    demanding = PromotionPolicy(min_gain=0.02, max_ece=0.03)
    assert not decide(0.80, 0.7, 0.79, 0.01, SLICES, demanding, leakage=HONEST).promote
    assert decide(0.80, 0.7, None, 0.01, SLICES, demanding, leakage=HONEST).promote  # no champion: nothing to gain over


@pytest.fixture()
def client(tmp_path):
    return registry.connect(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}", tmp_path / "mlflow" / "artifacts")


def register_versions(client, n):
    import mlflow

    client.create_registered_model(REGISTERED_MODEL)
    for _ in range(n):
        with mlflow.start_run() as run:
            mlflow.log_dict({}, "model/MLmodel.json")
        client.create_model_version(REGISTERED_MODEL, f"runs:/{run.info.run_id}/model", run.info.run_id)


def test_rollback_moves_the_champion_back_once(client):
    register_versions(client, 2)
    registry.set_alias(client, registry.CHAMPION, "2")
    registry.set_alias(client, registry.PREVIOUS_CHAMPION, "1")
    done = registry.rollback_champion(client)
    assert (done.champion, done.rolled_back) == ("1", "2")
    assert registry.version_by_alias(client, registry.CHAMPION).version == 1
    assert registry.version_by_alias(client, registry.PREVIOUS_CHAMPION) is None
    assert "rolled_back_at" in client.get_model_version(REGISTERED_MODEL, "2").tags
    with pytest.raises(registry.NoPreviousChampion, match="nothing to roll back to.*version 1 stays champion"):
        registry.rollback_champion(client)
    assert registry.version_by_alias(client, registry.CHAMPION).version == 1


def test_rollback_command_says_clearly_when_there_is_nothing_to_roll_back(tmp_path, client):
    register_versions(client, 2)
    registry.set_alias(client, registry.CHAMPION, "2")
    refused = run_cli(["rollback"], tmp_path, check=False)
    assert refused.returncode == 2 and "no 'previous_champion' alias: nothing to roll back to" in refused.stderr
    registry.set_alias(client, registry.PREVIOUS_CHAMPION, "1")
    done = run_cli(["rollback"], tmp_path)
    assert "champion is now version 1 (was 2)" in done.stdout
    assert registry.version_by_alias(client, registry.CHAMPION).version == 1


def test_a_group_within_the_calibration_bound_passes_and_a_small_one_is_not_judged():
    decision = verdict(slices=SLICES.assign(prediction_bias=[0.004, 0.07, 0.5]))  # DE 0.22 vs 0.15: 47% off
    assert decision.promote
    assert "worst country=DE predicted 0.220 vs observed 0.150, 47%" in decision.reasons[-1]
    assert "FR" not in decision.reasons[-1]
