"""Names of the warehouse tables Python writes (dbt's own models are named in dbt_project/)."""

TRAINING_SET = "ml.training_set"
TRAINING_REFERENCE = "ml.training_reference"
SCORES = "scoring.lead_scores"
GROUND_TRUTH = "ground_truth.lead_propensity"
