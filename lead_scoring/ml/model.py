"""The scoring model: preprocessing, gradient boosting and calibration in one object.

Everything the model needs to turn a feature row into a probability is inside
the saved object, so scoring cannot preprocess differently from training.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

from lead_scoring.ml.features import Feature

DEFAULT_PARAMS = {
    "learning_rate": 0.05,
    "max_iter": 300,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
}


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


def build_pipeline(features: list[Feature], params: dict, seed: int) -> Pipeline:
    categorical = [f.name for f in features if f.feature_type == "categorical"]
    numeric = [f.name for f in features if f.feature_type != "categorical"]
    encode = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20, sparse_output=False),
    )
    # Gradient boosting handles missing numbers itself: no imputation there.
    preprocess = ColumnTransformer([("categorical", encode, categorical), ("numeric", "passthrough", numeric)])
    booster = HistGradientBoostingClassifier(**params, early_stopping=False, random_state=seed)
    return Pipeline([("preprocess", preprocess), ("classifier", booster)])


def train_calibrated(
    train: pd.DataFrame,
    y_train: np.ndarray,
    validation: pd.DataFrame,
    y_validation: np.ndarray,
    features: list[Feature],
    params: dict | None = None,
    seed: int = 7,
) -> CalibratedClassifierCV:
    """Fit on the training period, calibrate (isotonic) on the validation period."""
    pipeline = build_pipeline(features, params or DEFAULT_PARAMS, seed)
    pipeline.fit(feature_frame(train, features), y_train)
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="isotonic")
    return calibrated.fit(feature_frame(validation, features), y_validation)
