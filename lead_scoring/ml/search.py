"""Seeded random search over model families, judged on the validation period.

Candidates are drawn from each family's space with one seeded generator, fitted
on the training period (on a sample of it when it is larger than the search
needs) and ranked by validation ROC AUC. The winner is refitted on a larger
sample and calibrated on the validation period by the caller. Same seed, same
data: same candidates, same winner.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lead_scoring.ml import model
from lead_scoring.ml.dataset import LABEL
from lead_scoring.ml.features import Feature
from lead_scoring.ml.metrics import weighted_roc_auc
from lead_scoring.ml.search_config import SearchConfig

log = logging.getLogger(__name__)


@dataclass
class Trial:
    family: str
    params: dict
    validation_roc_auc: float = float("nan")
    fit_seconds: float = 0.0


@dataclass
class SearchResult:
    trials: list[Trial]
    search_rows: int
    validation_rows: int
    best_index: int = 0
    final_rows: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> Trial:
        return self.trials[self.best_index]

    @property
    def candidates(self) -> int:
        return len(self.trials)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"candidate": i, "family": t.family, **t.params, "validation_roc_auc": t.validation_roc_auc,
              "fit_seconds": t.fit_seconds} for i, t in enumerate(self.trials)]
        )


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def draw_params(family: str, rng: np.random.Generator) -> dict:
    if family == model.LOGISTIC:
        return {"C": round(_log_uniform(rng, 1e-3, 10.0), 6), "l1_ratio": 0.0}
    # Small trees and big leaves: the outcome is noisy (most of a lead's propensity is hidden) and deep trees overfit it.
    return {
        "learning_rate": round(_log_uniform(rng, 0.03, 0.15), 4),
        "max_iter": int(rng.integers(80, 201)),
        "max_leaf_nodes": int(rng.choice([7, 15, 31])),
        "min_samples_leaf": int(rng.choice([50, 100, 200, 400, 800])),
        "l2_regularization": round(_log_uniform(rng, 1e-2, 10.0), 6),
        "max_features": float(rng.choice([0.5, 0.75, 1.0])),
    }


def draw_candidates(config: SearchConfig, seed: int) -> list[Trial]:
    rng = np.random.default_rng(seed)
    families = [model.LOGISTIC] * config.logistic_candidates + [model.BOOSTING] * (config.candidates - config.logistic_candidates)
    return [Trial(family, draw_params(family, rng)) for family in families]


def sample_rows(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """At most ``rows`` rows, drawn without replacement, in their original order (deterministic)."""
    if len(frame) <= rows:
        return frame
    picked = np.sort(np.random.default_rng(seed).choice(len(frame), size=rows, replace=False))
    return frame.iloc[picked]


def run_search(train: pd.DataFrame, validation: pd.DataFrame, features: list[Feature], config: SearchConfig, seed: int) -> SearchResult:
    """Fit every candidate on (a sample of) ``train``; rank them by ROC AUC on ``validation``."""
    fit_rows = sample_rows(train, config.search_rows, seed)
    judge_rows = sample_rows(validation, 2 * config.search_rows, seed)
    y_judge = judge_rows[LABEL].to_numpy(dtype=int)
    result = SearchResult(draw_candidates(config, seed), len(fit_rows), len(judge_rows))
    for trial in result.trials:
        started = time.perf_counter()
        fitted = model.fit(trial.family, features, trial.params, seed, fit_rows, fit_rows[LABEL].to_numpy(dtype=int))
        trial.fit_seconds = round(time.perf_counter() - started, 2)
        trial.validation_roc_auc = weighted_roc_auc(y_judge, model.predict(fitted, judge_rows, features))
        log.info("candidate %s %s: validation ROC AUC %.4f, fit %.1f s", trial.family, trial.params,
                 trial.validation_roc_auc, trial.fit_seconds)
    # Ties go to the earlier candidate: the order is fixed by the seed.
    result.best_index = int(np.argmax([t.validation_roc_auc for t in result.trials]))
    return result


def fit_winner(train: pd.DataFrame, validation: pd.DataFrame, features: list[Feature], result: SearchResult,
               config: SearchConfig, seed: int):
    """The best candidate refitted on at most ``final_rows`` training rows and calibrated on the validation period."""
    rows = sample_rows(train, config.final_rows, seed)
    result.final_rows = len(rows)
    fitted = model.fit(result.best.family, features, result.best.params, seed, rows, rows[LABEL].to_numpy(dtype=int))
    return model.calibrate(fitted, validation, validation[LABEL].to_numpy(dtype=int), features)


def learning_curve(frame: pd.DataFrame, features: list[Feature], result: SearchResult, seed: int):
    """(training rows, test ROC AUC, fit seconds) of the winner refitted on samples of the training period.

    Sizes: the search sample, the final sample, then twice and four times it (up to all rows): what
    training on a sample costs in AUC, and what more rows would cost in time.
    """
    train, validation, test = (frame[frame["split"] == s] for s in ("train", "validation", "test"))
    y_test = test[LABEL].to_numpy(dtype=int)
    sizes = sorted({min(len(train), n) for n in (result.search_rows, result.final_rows, 2 * result.final_rows, 4 * result.final_rows)})
    for rows in sizes:
        started = time.perf_counter()
        with model.model_threads():
            calibrated = fit_winner(train, validation, features, SearchResult([result.best], 0, 0), SearchConfig(final_rows=rows), seed)
            auc = weighted_roc_auc(y_test, model.predict(calibrated, test, features))
        yield rows, auc, time.perf_counter() - started
