"""The model families: preprocessing and classifier in one pipeline, then calibration.

Everything the model needs to turn a feature row into a probability is inside
the saved object, so scoring cannot preprocess differently from training. The
pipelines are built from the feature contract (names, types, monotone
promises) only, never from particular column names.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, QuantileTransformer
from threadpoolctl import threadpool_limits

from lead_scoring.ml.features import Feature

LOGISTIC = "logistic_regression"
BOOSTING = "hist_gradient_boosting"
FAMILIES = (LOGISTIC, BOOSTING)
RARE_CATEGORY_ROWS = 20  # rarer categories share one "infrequent" level
_threads: contextvars.ContextVar[int | None] = contextvars.ContextVar("model_threads", default=None)


@contextlib.contextmanager
def model_threads(threads: int | None = None) -> Iterator[None]:
    """Run model fits and predictions on a fixed number of OpenMP and BLAS threads.

    ``threads`` comes from ``Settings.model_threads`` at the step; nested calls keep
    the enclosing count, and code called outside any step gets 1.

    Such threads busy-wait for each other: on a shared 2-core machine (load 12) one
    gradient-boosting fit took 1.6 s on 1 thread and 54.6 s on 2. One thread is also the
    same arithmetic on every machine, which keeps results reproducible.
    """

    count = threads or _threads.get() or 1
    token = _threads.set(count)
    try:
        with threadpool_limits(limits=count):  # OpenMP and BLAS
            yield
    finally:
        _threads.reset(token)


def feature_frame(frame: pd.DataFrame, features: list[Feature]) -> pd.DataFrame:
    """The model's input: feature columns in contract order, with stable dtypes."""
    columns = {}
    for feature in features:
        values = frame[feature.name]
        if feature.feature_type == "categorical":
            columns[feature.name] = values.astype(object).where(values.notna(), None)
        else:
            columns[feature.name] = pd.to_numeric(values.astype(object), errors="coerce").astype("float64")
    return pd.DataFrame(columns, index=frame.index)


def _split(features: list[Feature]) -> tuple[list[Feature], list[Feature]]:
    return [f for f in features if f.feature_type == "categorical"], [f for f in features if f.feature_type != "categorical"]


def _per_feature(features: list[Feature], transformer_of) -> ColumnTransformer:
    """One transformer per feature, categories first: each output column then belongs to one feature.

    That is what :func:`feature_columns` reads, and what lets a reason replace one
    feature's columns of a preprocessed row without preprocessing it again.
    """
    categorical, numeric = _split(features)
    # Positional names: a feature's own name may hold "__", which scikit-learn reserves.
    return ColumnTransformer(
        [(f"feature_{i}", transformer_of(f), [f.name]) for i, f in enumerate(categorical + numeric)]
    )


def feature_columns(preprocess: ColumnTransformer) -> dict[str, slice] | None:
    """Each feature's output columns of a fitted preprocessing step; None when a transformer mixes features."""
    columns = {}
    for name, _transformer, inputs in preprocess.transformers_:
        if name == "remainder":
            continue
        if len(inputs) != 1:
            return None  # a model trained before transformers were per feature
        columns[inputs[0]] = preprocess.output_indices_[name]
    return columns


def _boosting(features: list[Feature], params: dict, seed: int) -> Pipeline:
    categorical, numeric = _split(features)

    def transformer_of(feature: Feature):
        if feature.feature_type != "categorical":
            return "passthrough"  # boosting handles missing numbers itself
        return OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan,
            min_frequency=RARE_CATEGORY_ROWS, max_categories=250,
        )

    booster = HistGradientBoostingClassifier(
        **params,
        categorical_features=[True] * len(categorical) + [False] * len(numeric),
        monotonic_cst=[0] * len(categorical) + [f.sign for f in numeric],
        early_stopping=False,
        random_state=seed,
    )
    return Pipeline([("preprocess", _per_feature(features, transformer_of)), ("classifier", booster)])


def _logistic(features: list[Feature], params: dict, seed: int) -> Pipeline:
    def transformer_of(feature: Feature):
        if feature.feature_type == "categorical":
            return make_pipeline(
                SimpleImputer(strategy="constant", fill_value="missing"),
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=RARE_CATEGORY_ROWS, sparse_output=False),
            )
        # Rank-based scaling tames skewed counts; a monotone map, so a coefficient's sign is the feature's direction.
        # A missing number becomes the median (0 after the map) plus an indicator column.
        return make_pipeline(
            QuantileTransformer(output_distribution="normal", n_quantiles=200, subsample=100_000, random_state=seed),
            SimpleImputer(strategy="constant", fill_value=0.0, add_indicator=True),
        )

    return Pipeline([("preprocess", _per_feature(features, transformer_of)),
                     ("classifier", LogisticRegression(**params, max_iter=2000))])


def build_pipeline(family: str, features: list[Feature], params: dict, seed: int) -> Pipeline:
    if family == BOOSTING:
        return _boosting(features, params, seed)
    if family == LOGISTIC:
        return _logistic(features, params, seed)
    raise ValueError(f"unknown model family {family!r}; expected one of {FAMILIES}")


def keep_monotone_promises(pipeline: Pipeline, features: list[Feature]) -> int:
    """Logistic regression cannot take sign constraints: a promised direction the fit got wrong is set to zero.

    The projection onto the constraint (the feature then has no effect, never
    the wrong one). Returns how many coefficients were zeroed.
    """
    classifier = pipeline[-1]
    if not isinstance(classifier, LogisticRegression):
        return 0  # boosting is constrained while it fits (monotonic_cst)
    columns = feature_columns(pipeline[0])
    zeroed = 0
    for feature in (f for f in features if f.sign):
        index = columns[feature.name].start  # the mapped value; an indicator column may follow
        if classifier.coef_[0, index] * feature.sign < 0:
            classifier.coef_[0, index] = 0.0
            zeroed += 1
    return zeroed


def fit(family: str, features: list[Feature], params: dict, seed: int, train: pd.DataFrame, y_train: np.ndarray) -> Pipeline:
    pipeline = build_pipeline(family, features, params, seed)
    with model_threads():
        pipeline.fit(feature_frame(train, features), y_train)
    keep_monotone_promises(pipeline, features)
    return pipeline


def calibrate(pipeline: Pipeline, validation: pd.DataFrame, y_validation: np.ndarray, features: list[Feature]) -> CalibratedClassifierCV:
    """Isotonic calibration fitted on the validation period (a monotone map: it keeps every promised direction)."""
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="isotonic")
    with model_threads():
        return calibrated.fit(feature_frame(validation, features), y_validation)


def predict(fitted, frame: pd.DataFrame, features: list[Feature]) -> np.ndarray:
    if len(frame) == 0:
        return np.zeros(0)
    with model_threads():
        return fitted.predict_proba(feature_frame(frame, features))[:, 1]
