"""What each feature costs and what it buys: marginal scoring time and marginal validation ROC AUC.

Marginal validation ROC AUC: the search's winning candidate is refitted on (at most ``refit_rows`` of) the
search sample with every feature and once without each (a drop-one refit); each is judged on the same
validation rows, and a feature's figure is what the model loses without it.

Marginal scoring time: what scoring spends on that feature alone, its own encoder or transformer in the
fitted pipeline (one per feature, see ``model._per_feature``), per 10,000 leads, the fastest of a few runs.
The classifier's own time is shared by all features; a drop-one refit would not measure it either, since a
model grown without a feature has other trees (at the demo size such differences ran from -3.8 to +16 ms of
97 ms). At the demo size a categorical feature's encoder took about 1 ms per 10,000 leads of the model's 63 ms,
a number passed to the booster 0.005 ms.

A feature is over budget (FeatureCostPolicy) when it takes more than a share of the model's scoring time and
adds less validation ROC AUC than required: it slows every daily run for nothing the model can measure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lead_scoring.ml import model, search
from lead_scoring.ml.dataset import LABEL
from lead_scoring.ml.features import Feature
from lead_scoring.ml.metrics import weighted_roc_auc
from lead_scoring.policies import FeatureCostPolicy

TIMING_ROWS = 10_000
TIMING_REPEATS = 5  # the fastest of these: the machine's noise only ever adds time


@dataclass
class FeatureCosts:
    table: pd.DataFrame  # feature, marginal_validation_roc_auc, marginal_scoring_ms_per_10k, validation_roc_auc_without
    validation_roc_auc: float  # of the refit with every feature
    scoring_ms_per_10k: float  # of that refit, preprocessing and classifier
    refit_rows: int
    seconds: float

    def over_budget(self, policy: FeatureCostPolicy) -> pd.DataFrame:
        costly = self.table["marginal_scoring_ms_per_10k"] > policy.max_scoring_time_share * self.scoring_ms_per_10k
        idle = self.table["marginal_validation_roc_auc"] < policy.min_validation_roc_auc_gain
        return self.table[costly & idle].reset_index(drop=True)


def _fastest_ms_per_10k(run, rows: int) -> float:
    fastest = np.inf
    for _ in range(TIMING_REPEATS):
        started = time.perf_counter()
        run()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest * 1_000 * TIMING_ROWS / rows


def _transform_ms_per_10k(fitted, rows: pd.DataFrame) -> dict[str, float]:
    """Each feature's own preprocessing time (a number a booster takes as it is costs next to nothing)."""
    return {column: _fastest_ms_per_10k(lambda: transformer.transform(rows[[column]]), len(rows))
            for name, transformer, (column,) in fitted.named_steps["preprocess"].transformers_ if name != "remainder"}


def measure(train: pd.DataFrame, validation: pd.DataFrame, features: list[Feature], best: search.Trial,
            policy: FeatureCostPolicy, seed: int) -> FeatureCosts:
    started = time.perf_counter()
    fit_rows = search.sample_rows(train, policy.refit_rows, seed)
    judge_rows = search.sample_rows(validation, 2 * policy.refit_rows, seed)
    y_fit, y_judge = fit_rows[LABEL].to_numpy(dtype=int), judge_rows[LABEL].to_numpy(dtype=int)

    def refit(kept: list[Feature]):
        fitted = model.fit(best.family, kept, best.params, seed, fit_rows, y_fit)
        return fitted, weighted_roc_auc(y_judge, model.predict(fitted, judge_rows, kept))

    full, full_auc = refit(features)
    timing_rows = model.feature_frame(search.sample_rows(validation, TIMING_ROWS, seed), features)
    full_ms = _fastest_ms_per_10k(lambda: full.predict_proba(timing_rows), len(timing_rows))
    own_ms = _transform_ms_per_10k(full, timing_rows)
    rows = []
    for feature in features:
        kept = [f for f in features if f.name != feature.name]
        auc = refit(kept)[1] if kept else 0.5  # without its only feature a model ranks at random
        rows.append({"feature": feature.name, "marginal_validation_roc_auc": full_auc - auc,
                     "marginal_scoring_ms_per_10k": own_ms[feature.name], "validation_roc_auc_without": auc})
    table = pd.DataFrame(rows).sort_values("marginal_validation_roc_auc", ascending=False, kind="stable").reset_index(drop=True)
    return FeatureCosts(table, full_auc, full_ms, len(fit_rows), round(time.perf_counter() - started, 2))
