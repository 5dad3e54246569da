"""The pipeline's steps as plain functions: what each Dagster asset does, without Dagster.

The Dagster modules in ``defs/`` call these and only add wiring, logging and
metadata; the benchmark's plain script calls the same functions. This module
imports scikit-learn and MLflow, so the code location imports it lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from mlflow import MlflowClient

from lead_scoring import tables
from lead_scoring.errors import LeadScoringError
from lead_scoring.flat import importer as flat_import
from lead_scoring.ml import dataset, features, promotion, registry, scoring, training
from lead_scoring.ml.metrics import classification_metrics
from lead_scoring.ml.model import feature_frame
from lead_scoring.ml.tracking import LoggedModel, log_training_run
from lead_scoring.quality import guards, validation
from lead_scoring.settings import REGISTERED_MODEL, Settings
from lead_scoring.simulator import landing
from lead_scoring.warehouse import Replacement, Warehouse

TRAINING_TABLE = tables.TRAINING_SET
SCORES_TABLE = tables.SCORES
GROUND_TRUTH = tables.GROUND_TRUTH


class StaleFeaturesError(LeadScoringError):
    pass


def feature_list(settings: Settings) -> list[features.Feature]:
    return features.feature_contract(settings.dbt_manifest_path)


def build_training_set(
    warehouse: Warehouse, settings: Settings
) -> tuple[pd.DataFrame, dataset.SplitPlan | dataset.StratifiedSplitPlan, dict[str, int]]:
    """Mature snapshots with a ``split`` column, written to ``ml.training_set``.

    Also returns how many validation / test rows were dropped for repeating a
    training row's features exactly.
    """
    snapshots = warehouse.query("select * from marts.lead_snapshots where label_is_mature")
    # In time on lead creation dates; a flat export without a timestamp: seeded, stratified at random.
    plan = dataset.plan_split(snapshots, flat_import.split_seed(settings))
    snapshots["split"] = plan.assign(snapshots)
    features = feature_list(settings)
    kept, dropped = dataset.drop_repeated_rows(snapshots, [f.name for f in features])
    warehouse.overwrite(TRAINING_TABLE, kept)
    validation.write_reference(warehouse, kept[kept["split"] == "train"], features)
    return kept, plan, dropped


@dataclass
class Candidate:
    outcome: training.TrainingOutcome
    logged: LoggedModel


def train_candidate(
    warehouse: Warehouse, client: MlflowClient, settings: Settings, seed: int, trigger: str, run_tags: dict[str, str]
) -> Candidate:
    """Train, evaluate against the baseline (and the Bayes limit on simulated data), log and register."""
    frame = warehouse.query(f"select * from {TRAINING_TABLE}")
    truth = warehouse.query(f"select lead_id, created_at, p_convert from {GROUND_TRUTH}") if warehouse.table_exists(GROUND_TRUTH) else None
    outcome = training.train_and_evaluate(frame, feature_list(settings), seed=seed, truth=truth)
    simulation = landing.read_manifest(settings.landing_dir)
    logged = log_training_run(
        client,
        outcome,
        frame[frame["split"] == "test"],
        run_name=f"retrain {date.today().isoformat()} ({trigger})",
        tags={
            **run_tags,
            "trigger": trigger,
            "dbt_manifest_hash": features.manifest_hash(settings.dbt_manifest_path),
            "simulator_scenarios": ",".join(simulation.get("scenarios", [])) or "none",
            "simulator_seed": str(simulation.get("seed", "none")),
            **flat_import.run_tags(settings),  # empty unless the home's source is a flat export
        },
        split_plan=dataset.split_starts(frame),
    )
    return Candidate(outcome, logged)


@dataclass
class Promotion:
    decision: promotion.PromotionDecision
    challenger_version: str
    champion_version: str | None


def promote_challenger(warehouse: Warehouse, client: MlflowClient, settings: Settings) -> Promotion:
    """Judge the challenger against the baseline and the champion on the same test rows; move aliases."""
    challenger = registry.version_by_alias(client, registry.CHALLENGER)
    if challenger is None:
        raise registry.ModelLoadError("no `challenger` alias: materialise candidate_model first")
    run = client.get_run(challenger.run_id)
    champion = registry.version_by_alias(client, registry.CHAMPION)
    champion_auc = None
    if champion is not None and champion.version != challenger.version:
        test = warehouse.query(f"select * from {TRAINING_TABLE} where split = 'test'")
        loaded = registry.load_model(client, registry.CHAMPION)
        probability = loaded.model.predict_proba(feature_frame(test, feature_list(settings)))[:, 1]
        champion_auc = classification_metrics(test[dataset.LABEL], probability)["roc_auc"]
    decision = promotion.decide(run.data.metrics["roc_auc"], run.data.metrics["baseline_roc_auc"], champion_auc)
    if decision.promote:
        if champion is not None and champion.version != challenger.version:
            registry.set_alias(client, registry.PREVIOUS_CHAMPION, champion.version)
        registry.set_alias(client, registry.CHAMPION, challenger.version)
    verdict = "promoted" if decision.promote else "rejected"
    client.set_model_version_tag(REGISTERED_MODEL, challenger.version, "promotion_decision", verdict)
    client.set_model_version_tag(REGISTERED_MODEL, challenger.version, "promotion_reasons", "; ".join(decision.reasons))
    current = registry.version_by_alias(client, registry.CHAMPION)
    return Promotion(decision, challenger.version, current.version if current else None)


def score_day(warehouse: Warehouse, client: MlflowClient, settings: Settings, as_of: date) -> tuple[pd.DataFrame, str]:
    """Score ``marts.lead_features_current`` (which must be as of ``as_of``) with the champion."""
    built_for = str(warehouse.query("select scoring_date from intermediate.int_scoring_date").scoring_date.iloc[0])[:10]
    if built_for != as_of.isoformat():
        raise StaleFeaturesError(
            f"marts.lead_features_current is as of {built_for}, but scores as of {as_of} need features "
            "as of that date: rebuild the dbt models for it first"
        )
    current = warehouse.query("select * from marts.lead_features_current")
    champion = registry.load_model(client, registry.CHAMPION)
    scores = scoring.score_leads(
        current,
        champion.model,
        feature_list(settings),
        scoring.grade_bands_from_tags(champion.version.tags),
        REGISTERED_MODEL,
        champion.version.version,
    )
    consent_tracked = flat_import.read_record(settings) is None  # a flat export carries no consent history
    withdrawn = guards.withdrawn_consent_ids(warehouse, current["lead_id"]) if consent_tracked else set()
    scores = scores[~scores["lead_id"].isin(withdrawn)]
    purge = guards.withdrawn_consent(warehouse, SCORES_TABLE)["lead_id"].tolist() if warehouse.table_exists(SCORES_TABLE) and consent_tracked else []
    # One transaction: today's scores replace the day's, and earlier scores of leads who
    # have since withdrawn consent are deleted, so no withdrawn lead keeps a score.
    warehouse.replace(
        [
            Replacement(SCORES_TABLE, "as_of_date", [as_of], scores),
            Replacement(SCORES_TABLE, "lead_id", purge, scores.head(0)),
        ]
    )
    return scores, champion.version.version
