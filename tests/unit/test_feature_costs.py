"""The per-feature cost table: drop-one refits find the feature that carries the signal, and the budget names a
feature that costs scoring time for nothing and leaves alone one that earns it or costs nothing."""

import pandas as pd
import pytest

from lead_scoring.ml import feature_costs, search
from lead_scoring.policies import FeatureCostPolicy
from tests.model.synthetic import FEATURES
from tests.model.synthetic import training_set as synthetic_training_set

LOGISTIC = search.Trial("logistic_regression", {"C": 1.0, "l1_ratio": 0.0})


@pytest.fixture(scope="module")
def costs():
    frame = synthetic_training_set(6000)
    train, validation = frame[frame.split == "train"], frame[frame.split == "validation"]
    return feature_costs.measure(train, validation, FEATURES, LOGISTIC, FeatureCostPolicy(), seed=7)


def test_each_feature_has_its_marginal_auc_and_scoring_time(costs):
    table = costs.table.set_index("feature")
    assert list(costs.table.feature) == sorted(table.index, key=lambda f: -table.loc[f, "marginal_validation_roc_auc"])
    assert set(table.index) == {f.name for f in FEATURES} and costs.refit_rows == 3600
    # the propensity shows in the activity counts; email clicks and country are drawn independently of it
    assert table.loc["pricing_page_view_30d", "marginal_validation_roc_auc"] > 0.01
    assert abs(table.loc["country", "marginal_validation_roc_auc"]) < 0.01
    # every feature of a logistic model has a transformer of its own (quantile map, one-hot), each taking a
    # part of the pipeline's time
    assert (table.marginal_scoring_ms_per_10k > 0).all()
    assert table.marginal_scoring_ms_per_10k.sum() < costs.scoring_ms_per_10k
    assert table.validation_roc_auc_without.add(table.marginal_validation_roc_auc).round(12).eq(round(costs.validation_roc_auc, 12)).all()


def test_the_budget_names_a_costly_idle_feature_and_spares_the_others():
    table = pd.DataFrame({
        "feature": ["costly_idle", "costly_useful", "cheap_idle"],
        "marginal_validation_roc_auc": [0.0002, 0.02, -0.0004],
        "marginal_scoring_ms_per_10k": [30.0, 30.0, 1.0],
        "validation_roc_auc_without": [0.75, 0.73, 0.75],
    })
    costs = feature_costs.FeatureCosts(table, 0.75, scoring_ms_per_10k=100.0, refit_rows=5000, seconds=1.0)
    assert list(costs.over_budget(FeatureCostPolicy()).feature) == ["costly_idle"]
    assert costs.over_budget(FeatureCostPolicy(max_scoring_time_share=0.5)).empty
    assert list(costs.over_budget(FeatureCostPolicy(max_scoring_time_share=0.0)).feature) == ["costly_idle", "cheap_idle"]
