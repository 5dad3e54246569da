"""Training steps as plain functions: the training set, a candidate model, the promotion gate.

The Dagster modules in ``defs/`` call these and only add wiring, logging and
metadata; the benchmark's plain script calls the same functions. This module
imports scikit-learn and MLflow, so the code location imports it lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from lead_scoring import tables
from lead_scoring.flat import importer as flat_import
from lead_scoring.ml import baseline, dataset, evaluation, features, promotion, registry, scoring, search, shadow, thresholds, tracking, training
from lead_scoring.ml.metrics import weighted_roc_auc
from lead_scoring.ml.model import model_threads, predict
from lead_scoring.ml.probabilities import InvalidProbabilities, require_valid
from lead_scoring.ml.tracking import LoggedModel, log_training_run
from lead_scoring.quality import guards, validation
from lead_scoring.settings import Settings
from lead_scoring.simulator import landing
from lead_scoring.steps import scoring as scoring_steps
from lead_scoring.warehouse import Warehouse

TRAINING_TABLE = tables.TRAINING_SET
SNAPSHOTS = "marts.lead_snapshots"
SCORES_TABLE = tables.SCORES
GROUND_TRUTH = tables.GROUND_TRUTH


def feature_list(settings: Settings) -> list[features.Feature]:
    return features.feature_contract(settings.dbt_manifest_path)


@dataclass
class TrainingSet:
    frame: pd.DataFrame
    plan: dataset.SplitPlan | dataset.StratifiedSplitPlan
    dropped: dict[str, int]  # validation / test rows dropped for repeating a training row's features exactly
    sample: dataset.SnapshotSample


def build_training_set(warehouse: Warehouse, settings: Settings) -> TrainingSet:
    """Mature snapshots with a ``split`` column, written to ``ml.training_set``.

    At most ``settings.policies.training_set.max_rows`` of them: past that the search, the refit and the evaluation
    are all on samples anyway, and reading every snapshot of a long or large history would only cost memory.
    """
    mature = f"from {SNAPSHOTS} where label_is_mature"
    rows = int(warehouse.query(f"select count(*) as n {mature}").n.iloc[0])
    sample = dataset.SnapshotSample.at_most(rows, settings.policies.training_set.max_rows)
    condition, params = sample.where()
    snapshots = dataset.in_canonical_order(warehouse.query(f"select * {mature}{condition}", params))
    # In time on lead creation dates; a flat export without a timestamp: seeded, stratified at random.
    plan = dataset.plan_split(snapshots, flat_import.split_seed(settings))
    snapshots["split"] = plan.assign(snapshots)
    features = feature_list(settings)
    kept, dropped = dataset.drop_repeated_rows(snapshots, [f.name for f in features])
    warehouse.overwrite(TRAINING_TABLE, kept)
    validation.write_reference(warehouse, kept[kept["split"] == "train"], features)
    return TrainingSet(kept, plan, dropped, sample)


@dataclass
class Candidate:
    outcome: training.TrainingOutcome
    logged: LoggedModel


def train_candidate(
    warehouse: Warehouse,
    client: MlflowClient,
    settings: Settings,
    seed: int,
    trigger: str,
    run_tags: dict[str, str],
    search_config: search.SearchConfig | None = None,
    threshold_rule: thresholds.ThresholdRule | None = None,
) -> Candidate:
    """Search, calibrate, evaluate against the baseline (and the Bayes limit on simulated data), log and register.

    ``trigger`` is schedule, sensor or manual; ``run_tags`` may add a ``trigger_detail`` (which sensor, why).
    """
    frame = dataset.in_canonical_order(warehouse.query(f"select * from {TRAINING_TABLE}"))
    truth = warehouse.query(f"select lead_id, created_at, p_convert from {GROUND_TRUTH}") if warehouse.table_exists(GROUND_TRUTH) else None
    search_config = search_config or search.SearchConfig()
    with model_threads(settings.model_threads):
        outcome = training.train_and_evaluate(frame, feature_list(settings), seed, truth, search_config, threshold_rule,
                                              settings.policies.leakage, settings.policies.feature_cost)
    simulation = landing.read_manifest(settings.landing_dir)
    logged = log_training_run(
        client,
        outcome,
        frame,
        run_name=f"retrain {trigger} {date.today().isoformat()}" + (f" ({run_tags['trigger_detail']})" if run_tags.get("trigger_detail") else ""),
        tags={
            **run_tags,
            "trigger": trigger,
            "dbt_manifest_hash": features.manifest_hash(settings.dbt_manifest_path),
            "simulator_scenarios": ",".join(simulation.get("scenarios", [])) or "none",
            "simulator_seed": str(simulation.get("seed", "none")),
            **flat_import.run_tags(settings),  # empty unless the home's source is a flat export
        },
        params={**dataset.split_starts(frame), "search_candidates": search_config.candidates,
                "search_logistic_candidates": search_config.logistic_candidates,
                "training_set_max_rows": settings.policies.training_set.max_rows},
        promotion_floor=settings.policies.promotion.slice_floor,
    )
    return Candidate(outcome, logged)


@dataclass
class Promotion:
    decision: promotion.PromotionDecision
    challenger_version: str
    champion_version: str | None
    previous_champion_version: str | None
    comparison: dict[str, float]


def _probabilities(loaded: registry.LoadedModel, rows: pd.DataFrame, threads: int, on: str) -> tuple[np.ndarray, dict]:
    """A registered model's probabilities on ``rows``, with the features recorded with it, and its model card."""
    card = tracking.load_model_card(loaded.version.run_id)
    with model_threads(threads):
        probability = predict(loaded.model, rows, tracking.card_features(card))
    require_valid(probability, f"model version {loaded.version.version} on {on}", rows["lead_id"])
    return probability, card


def _score_on(loaded: registry.LoadedModel, test: pd.DataFrame, threads: int) -> evaluation.Evaluation:
    """A registered model's evaluation on ``test``, with the features and threshold recorded with it."""
    probability, card = _probabilities(loaded, test, threads, "the test rows")
    return evaluation.evaluate(test, test[dataset.LABEL], probability, card["threshold"],
                               source=f"model version {loaded.version.version}")


def _shadow(leads: pd.DataFrame, settings: Settings, challenger_p: np.ndarray | None, challenger: registry.LoadedModel,
            champion: registry.LoadedModel | None) -> tuple[shadow.ShadowComparison | None, str]:
    """The challenger beside the champion on today's open leads (the challenger's probabilities already checked)."""
    if challenger_p is None:
        return None, "shadow scoring: no open leads today"
    on = f"{len(leads)} current open leads"
    if champion is None:
        return None, f"shadow scoring: version {challenger.version.version} scored {on}; no other champion to compare with"
    try:
        champion_p, _ = _probabilities(champion, leads, settings.model_threads, on)
        champion_bands = scoring.grade_bands_from_tags(champion.version.tags)
    except (KeyError, ValueError, InvalidProbabilities) as error:
        return None, f"shadow scoring: champion version {champion.version.version} cannot score {on} ({error}): not compared"
    compared = shadow.compare(champion_p, champion_bands, challenger_p, scoring.grade_bands_from_tags(challenger.version.tags))
    return compared, compared.describe()


def _refused(client: MlflowClient, settings: Settings, version: str, champion: str | None, reason: str) -> Promotion:
    """A challenger the gate cannot judge: not promoted, the reason on its version; the aliases stay."""
    decision = promotion.PromotionDecision(False, [f"FAIL: {reason}"])
    registry.record_decision(client, version, False, decision.reasons, {}, settings.policies.promotion.as_dict(), champion)
    previous = registry.version_by_alias(client, registry.PREVIOUS_CHAMPION)
    return Promotion(decision, version, champion, previous.version if previous else None, {})


def promote_challenger(warehouse: Warehouse, client: MlflowClient, settings: Settings) -> Promotion:
    """Judge the challenger against the baseline and the champion on the same current test rows, shadow-score it
    beside the champion on today's open leads; move the aliases.

    The gate is ``settings.policies.promotion``. The decision and its reasons are written to the challenger's
    registry version tags either way. A challenger whose model file is missing, damaged or holds unreviewed
    types, or that cannot score the test rows or the open leads, is refused with the reason. A store that
    cannot be reached fails the step instead (a retry may succeed; a refusal would stay on the version).
    """
    policy = settings.policies.promotion
    challenger = registry.version_by_alias(client, registry.CHALLENGER)
    if challenger is None:
        raise registry.ModelLoadError("no `challenger` alias: materialise candidate_model first")
    champion = registry.version_by_alias(client, registry.CHAMPION)
    champion_version = champion.version if champion else None
    try:  # by number: the version judged is the one tagged and promoted, whatever moves the aliases meanwhile
        challenger_model = registry.load_model(client, number=challenger.version)
    except registry.ModelLoadError as error:
        return _refused(client, settings, challenger.version, champion_version, f"challenger version {challenger.version} cannot be loaded ({error})")
    frame = dataset.in_canonical_order(warehouse.query(f"select * from {TRAINING_TABLE}"))
    parts = training.split_parts(frame)
    test = parts["test"]
    leads = shadow.sample(scoring_steps.open_leads(warehouse, settings)[0])
    try:
        judged = _score_on(challenger_model, test, settings.model_threads)
        challenger_p = _probabilities(challenger_model, leads, settings.model_threads, f"{len(leads)} current open leads")[0] if len(leads) else None
    except (KeyError, ValueError, InvalidProbabilities) as error:
        return _refused(client, settings, challenger.version, champion_version,
                        f"challenger version {challenger.version} cannot score the current rows ({error})")
    champion_model, champion_auc, notes = None, None, []
    if champion is not None and champion.version == challenger.version:
        notes.append(f"version {challenger.version} is already the champion")
    elif champion is not None:
        try:
            champion_model = registry.load_model(client, number=champion.version)
        except registry.ModelLoadError as error:  # a damaged champion is not compared: the challenger may replace it
            notes.append(f"champion version {champion.version} cannot be loaded ({error}): not compared")
    shadowed, shadow_note = _shadow(leads, settings, challenger_p, challenger_model, champion_model)
    rules = baseline.for_features(feature_list(settings), settings.policies.leakage).fit(parts["train"], parts["train"][dataset.LABEL].to_numpy(dtype=int))
    baseline_auc = weighted_roc_auc(test[dataset.LABEL].to_numpy(dtype=int), rules.predict_proba(test))
    if champion_model is not None:
        try:
            champion_auc = _score_on(champion_model, test, settings.model_threads).metrics["roc_auc"]
        except (KeyError, ValueError, InvalidProbabilities) as error:  # another feature set, or a broken model
            notes.append(f"champion version {champion.version} cannot score the current test rows ({error}): not compared")
    leakage = guards.leakage_evidence(test, [f.name for f in feature_list(settings)], dataset.LABEL, settings.policies.leakage)
    decision = promotion.decide(judged.metrics["roc_auc"], baseline_auc, champion_auc, judged.metrics["ece"], judged.slices, policy,
                                leakage=leakage, leakage_policy=settings.policies.leakage)
    decision.reasons[:0] = notes
    decision.reasons.append(shadow_note)
    if decision.promote and (champion is None or champion.version != challenger.version):
        if champion is not None:
            registry.set_alias(client, registry.PREVIOUS_CHAMPION, champion.version)
        registry.set_alias(client, registry.CHAMPION, challenger.version)
    comparison = {"challenger_test_roc_auc": judged.metrics["roc_auc"], "baseline_test_roc_auc": baseline_auc,
                  "best_single_feature_test_roc_auc": leakage.best_feature_auc,
                  "challenger_test_ece": judged.metrics["ece"], "test_rows": len(test),
                  **(shadowed.as_dict() if shadowed else {})}
    if champion_auc is not None:
        comparison["champion_test_roc_auc"] = champion_auc
    registry.record_decision(client, challenger.version, decision.promote, decision.reasons, comparison,
                             policy.as_dict(), champion_version)
    current = registry.version_by_alias(client, registry.CHAMPION)
    previous = registry.version_by_alias(client, registry.PREVIOUS_CHAMPION)
    return Promotion(decision, challenger.version, current.version if current else None,
                     previous.version if previous else None, comparison)
