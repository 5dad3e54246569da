"""The champion's model card, read from the MLflow registry and the dbt manifest.

Metric names logged by training may change; :func:`metric_rows` is the one
place that maps them to what the report shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lead_scoring.ml import registry
from lead_scoring.ml.features import FeatureContractError, Feature, feature_contract
from lead_scoring.settings import REGISTERED_MODEL

# label, one-line meaning, names in the run (first found wins) for the model, the rules baseline, the Bayes limit;
# higher_is_better decides the "better / worse" wording.
METRICS = (
    ("ROC AUC", "the chance that a lead who converts is ranked above one who does not (0.5 = coin toss, 1 = perfect)",
     ("test_roc_auc", "roc_auc"), ("baseline_test_roc_auc", "baseline_roc_auc"), ("bayes_test_roc_auc", "bayes_roc_auc"), True),
    ("PR AUC", "how precise the top of the ranking is, averaged over all cut-offs (the conversion rate is the floor)",
     ("test_pr_auc", "pr_auc"), ("baseline_test_pr_auc", "baseline_pr_auc"), (), True),
    ("Calibration error", "average gap between predicted and actual conversion rates (0 = predictions can be read as chances)",
     ("test_ece", "ece"), ("baseline_test_ece", "baseline_ece"), (), False),
    ("Brier score", "mean squared gap between predicted probability and outcome (lower is better)",
     ("test_brier", "brier"), ("baseline_test_brier", "baseline_brier"), (), False),
    ("Log loss", "penalty for confident wrong predictions (lower is better)",
     ("test_log_loss", "log_loss"), ("baseline_test_log_loss", "baseline_log_loss"), (), False),
    ("Conversion rate (test period)", "share of test-period snapshots that converted within 30 days",
     ("test_base_rate", "base_rate"), (), (), None),
    ("Mean predicted probability", "should sit close to the conversion rate above",
     ("test_mean_prediction", "mean_prediction"), (), (), None),
)


@dataclass(frozen=True)
class MetricRow:
    label: str
    meaning: str
    model: float | None
    baseline: float | None
    bayes: float | None
    previous: float | None
    higher_is_better: bool | None

    def against_baseline(self) -> str:
        """"better" or "worse" than the rules baseline, in the metric's own direction ("" when not comparable)."""
        if self.baseline is None or self.higher_is_better is None or self.model == self.baseline:
            return ""
        return "better" if (self.model > self.baseline) == self.higher_is_better else "worse"


@dataclass
class ModelCard:
    name: str
    version: str
    run_id: str
    experiment_id: str
    registered_at: datetime
    params: dict[str, str]
    features: list[Feature]
    metrics: list[MetricRow]
    previous_version: str | None
    promotion_reasons: str
    tags: dict[str, str] = field(default_factory=dict)

    def metric(self, label: str) -> float | None:
        return next((m.model for m in self.metrics if m.label == label), None)


def _first(metrics: dict[str, float], names: tuple[str, ...]) -> float | None:
    return next((float(metrics[n]) for n in names if n in metrics), None)


def metric_rows(champion: dict[str, float], previous: dict[str, float] | None) -> list[MetricRow]:
    """The report's metric rows from the champion's (and the previous champion's) MLflow metrics."""
    rows = []
    for label, meaning, names, baseline, bayes, higher in METRICS:
        value = _first(champion, names)
        if value is None:
            continue
        rows.append(MetricRow(label, meaning, value, _first(champion, baseline), _first(champion, bayes),
                              _first(previous, names) if previous else None, higher))
    return rows


def _features(manifest_path: Path, names: list[str]) -> list[Feature]:
    """The champion's features with their dbt descriptions (a feature since dropped from dbt says so)."""
    try:
        documented = {f.name: f for f in feature_contract(manifest_path)}
    except FeatureContractError:
        documented = {}
    return [documented.get(n, Feature(n, "?", "not in the current dbt project")) for n in names]


def load_model_card(client, manifest_path: Path) -> ModelCard | None:
    """The champion's card, or None when no model has been promoted yet."""
    champion = registry.version_by_alias(client, registry.CHAMPION)
    if champion is None:
        return None
    run = client.get_run(champion.run_id)
    previous = registry.version_by_alias(client, registry.PREVIOUS_CHAMPION)
    previous_metrics = client.get_run(previous.run_id).data.metrics if previous is not None else None
    names = [n for n in run.data.tags.get("features", "").split(",") if n]
    return ModelCard(
        name=REGISTERED_MODEL,
        version=str(champion.version),
        run_id=champion.run_id,
        experiment_id=run.info.experiment_id,
        registered_at=datetime.fromtimestamp(champion.creation_timestamp / 1000, tz=timezone.utc),
        params=dict(run.data.params),
        features=_features(manifest_path, names),
        metrics=metric_rows(run.data.metrics, previous_metrics),
        previous_version=str(previous.version) if previous is not None else None,
        promotion_reasons=champion.tags.get("promotion_reasons", ""),
        tags={**run.data.tags, **champion.tags},
    )


def known_limits(card: ModelCard) -> list[str]:
    """What a reader should keep in mind, in plain words."""
    limits = [
        "A lead's outcome is known only 30 days after it is scored, so measured performance lags a month behind.",
        "Grades are fixed shares of the training-time leads (A: top 10%, B: next 20%, C: next 30%, D: the rest); "
        "if today's leads are better or worse, the shares of each grade move.",
        "The model ranks leads on CRM activity and firmographics only; it does not know about sales conversations "
        "outside the CRM.",
    ]
    scenarios = card.tags.get("simulator_scenarios")
    if card.tags.get("simulator_seed", "none") != "none":
        limits.append(f"Trained on simulated CRM data (seed {card.tags['simulator_seed']}, scenarios: "
                      f"{scenarios or 'none'}): figures show how the platform behaves, not a real market.")
    bayes = next((m for m in card.metrics if m.label == "ROC AUC" and m.bayes is not None), None)
    if bayes is not None:
        limits.append(f"Even a perfect model could not exceed a ROC AUC of {bayes.bayes:.3f} on this data "
                      f"(the outcome is partly chance); the model reaches {bayes.model:.3f}.")
    return limits
