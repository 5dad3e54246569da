"""Names of the warehouse tables Python writes (dbt's own models are named in dbt_project/)."""

# Every schema the platform writes: `demo --reset` on Postgres drops these (and only these), an import's journal keeps them.
SCHEMAS = ("raw", "quarantine", "ground_truth", "staging", "intermediate", "marts", "ml", "scoring", "monitoring")

TRAINING_SET = "ml.training_set"
TRAINING_REFERENCE = "ml.training_reference"
SCORES = "scoring.lead_scores"
GROUND_TRUTH = "ground_truth.lead_propensity"
# Per source and load (landing day, or flat import): rows landed, loaded and quarantined.
LOAD_STATS = "quarantine.load_stats"

# The columns of feature and training tables that are not features: keys, label and bookkeeping.
NON_FEATURE_COLUMNS = {"lead_id", "as_of_date", "lead_created_date", "converted_within_30d", "label_is_mature", "label_window_end", "split"}

# Monitoring time series (one row per as-of date and feature / window / source), see lead_scoring/monitoring/.
FEATURE_DRIFT = "monitoring.feature_drift"
PREDICTION_DRIFT = "monitoring.prediction_drift"
LIVE_PERFORMANCE = "monitoring.live_performance"
SOURCE_FRESHNESS = "monitoring.source_freshness"
# Per champion version: its training rows' feature values and predictions (the drift reference).
DRIFT_REFERENCE = "monitoring.drift_reference"
# Per champion version and lead age: how many test rows its test ROC AUC was measured on (live performance
# weighs the served scores to this age mix).
PERFORMANCE_REFERENCE = "monitoring.performance_reference"
# One row per retrain run: when (data date), why, and whether the challenger was promoted.
RETRAINS = "monitoring.retrains"
