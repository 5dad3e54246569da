"""The reasons' effects computed on preprocessed rows, and for boosting on the trees that use each feature.

:func:`lead_scoring.ml.explain.effects` predicts every lead once more per feature
it moves, through the whole calibrated pipeline: at 595,000 leads and 22 features
that was 94 s of a 110 s scoring step, nearly all of it in the trees. Here the
same numbers come from the model's parts:

- the leads are preprocessed once; a variant replaces only its feature's output
  columns (one transformer per feature makes them known: ``model.feature_columns``)
  by the typical value's, which is what preprocessing the variant would give;
- for gradient boosting, a variant's raw score is the lead's plus, over the trees
  that split on the feature, the new leaf's value minus the old one: the other
  trees cannot tell the variant from the lead;
- the raw scores are turned into probabilities by the model's own calibration.

Everything of scikit-learn's that this relies on beyond its documented API is
listed in ``docs/platform.md``, and ``tests/unit/test_upgrade_canaries.py`` checks
these effects against the stock ones for both families. A model of another shape
(one trained before transformers were per feature) gets the stock computation,
and ``LEAD_SCORING_MODEL_SPACE_REASONS=false`` always does.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from lead_scoring.ml import explain, model
from lead_scoring.ml.features import Feature


def effects(fitted, frame: pd.DataFrame, features: list[Feature], reference: dict[str, object]) -> explain.Effects:
    """:func:`lead_scoring.ml.explain.effects`, from the model's parts when its shape allows."""
    parts = _parts(fitted, features)
    if parts is None:
        return explain.effects(fitted, frame, features, reference)
    preprocess, classifier, columns, calibration = parts
    x = model.feature_frame(frame, features).reset_index(drop=True)
    typical_row = model.feature_frame(pd.DataFrame([reference]), features)
    typical = typical_row.iloc[0]
    typical_t = preprocess.transform(typical_row)[0]
    raw_scores = _tree_raw_scores if isinstance(classifier, HistGradientBoostingClassifier) else _stacked_raw_scores
    probability, out = np.zeros(len(x)), np.zeros((len(x), len(features)))
    for start in range(0, len(x), explain.CHUNK_ROWS):
        chunk = x.iloc[start : start + explain.CHUNK_ROWS]
        moved = [np.flatnonzero(~explain.is_typical(chunk[f.name], typical[f.name])) for f in features]
        lead_raw, variant_raw = raw_scores(classifier, preprocess.transform(chunk), typical_t,
                                           [columns[f.name] for f in features], moved)
        p = calibration.predict_proba(np.concatenate([lead_raw, *variant_raw])[:, None])[:, 1]
        lead_p, offset = p[: len(chunk)], len(chunk)
        probability[start : start + len(chunk)] = lead_p
        for index, rows in enumerate(moved):
            out[start + rows, index] = lead_p[rows] - p[offset : offset + rows.size]
            offset += rows.size
    return explain.Effects(probability, out)


def _parts(fitted, features: list[Feature]):
    """(preprocessing, classifier, each feature's columns, calibration of raw scores), or None for another shape."""
    if not isinstance(fitted, CalibratedClassifierCV) or not isinstance(fitted.estimator, FrozenEstimator):
        return None
    pipeline = fitted.estimator.estimator
    if not (isinstance(pipeline, Pipeline) and len(pipeline.steps) == 2 and isinstance(pipeline[0], ColumnTransformer)):
        return None
    columns = model.feature_columns(pipeline[0])
    if columns is None or set(columns) != {f.name for f in features}:
        return None
    if any(getattr(c, "estimator", None) is not fitted.estimator for c in fitted.calibrated_classifiers_):
        return None  # calibrators fitted on anything but this very pipeline
    calibration = copy.copy(fitted)
    calibration.calibrated_classifiers_ = [copy.copy(c) for c in fitted.calibrated_classifiers_]
    for calibrated in calibration.calibrated_classifiers_:
        calibrated.estimator = _RawScores(pipeline[-1].classes_)
    return pipeline[0], pipeline[-1], columns, calibration


class _RawScores(ClassifierMixin, BaseEstimator):
    """A classifier whose decision function is its input's one column: how the calibrators read given raw scores."""

    def __init__(self, classes: np.ndarray):
        self.classes = classes
        self.classes_ = classes

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        return x[:, 0]


def _variants(xt: np.ndarray, typical_t: np.ndarray, cols: slice, rows: np.ndarray) -> np.ndarray:
    variant = xt[rows].copy()
    variant[:, cols] = typical_t[cols]
    return variant


def _stacked_raw_scores(classifier, xt, typical_t, columns, moved):
    """Any classifier: every variant row predicted, all in one call."""
    stacked = np.concatenate([xt, *(_variants(xt, typical_t, c, r) for c, r in zip(columns, moved))])
    raw = classifier.decision_function(stacked)
    return raw[: len(xt)], np.split(raw[len(xt) :], np.cumsum([r.size for r in moved])[:-1])


def _tree_raw_scores(classifier: HistGradientBoostingClassifier, xt, typical_t, columns, moved):
    """Boosting: a variant is predicted again only by the trees that split on its feature."""
    xt = classifier._preprocess_X(xt, reset=False)
    known_categories, feature_map = classifier._bin_mapper.make_known_categories_bitsets()
    threads = _openmp_effective_n_threads()
    trees = [iteration[0] for iteration in classifier._predictors]  # binary: one tree per iteration

    def predict(tree, x):
        return tree.predict(x, known_categories, feature_map, threads)

    leaves = np.array([predict(tree, xt) for tree in trees])  # trees x rows
    # The lead's raw score summed in the stock order (baseline, then tree by tree), so it is the stock one exactly.
    lead_raw = np.full(len(xt), classifier._baseline_prediction.ravel()[0], dtype=leaves.dtype)
    for leaf in leaves:
        lead_raw += leaf
    splits_on = [set(tree.nodes["feature_idx"][~tree.nodes["is_leaf"].astype(bool)]) for tree in trees]
    variant_raw = []
    for cols, rows in zip(columns, moved):
        variant = _variants(xt, typical_t, cols, rows)
        raw = lead_raw[rows].copy()
        for t in (t for t, used in enumerate(splits_on) if used.intersection(range(cols.start, cols.stop))):
            raw += predict(trees[t], variant) - leaves[t, rows]
        variant_raw.append(raw)
    return lead_raw, variant_raw
