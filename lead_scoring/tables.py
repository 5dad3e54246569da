"""Names of the warehouse tables Python writes (dbt's own models are named in dbt_project/)."""

TRAINING_SET = "ml.training_set"
TRAINING_REFERENCE = "ml.training_reference"
SCORES = "scoring.lead_scores"
GROUND_TRUTH = "ground_truth.lead_propensity"

# Monitoring time series (one row per as-of date and feature / window / source), see lead_scoring/monitoring/.
FEATURE_DRIFT = "monitoring.feature_drift"
PREDICTION_DRIFT = "monitoring.prediction_drift"
LIVE_PERFORMANCE = "monitoring.live_performance"
SOURCE_FRESHNESS = "monitoring.source_freshness"
# Per champion version: its training rows' feature values and predictions (the drift reference).
DRIFT_REFERENCE = "monitoring.drift_reference"
# One row per retrain run: when (data date), why, and whether the challenger was promoted.
RETRAINS = "monitoring.retrains"
