"""The scoring step as a plain function: the champion scores the day's open leads, written back in one transaction.

Imports scikit-learn and MLflow, so the code location imports it lazily.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from mlflow import MlflowClient

from lead_scoring import tables
from lead_scoring.errors import LeadScoringError
from lead_scoring.flat import importer as flat_import
from lead_scoring.ml import explain, registry, scoring, tracking
from lead_scoring.ml.model import model_threads
from lead_scoring.platform import model_space
from lead_scoring.quality import guards
from lead_scoring.settings import REGISTERED_MODEL, Settings
from lead_scoring.warehouse import Replacement, Warehouse

SCORES_TABLE = tables.SCORES


class StaleFeaturesError(LeadScoringError):
    pass


def reason_effects(settings: Settings):
    """How the reasons' effects are computed: from the model's parts (docs/platform.md), or the stock way."""
    return model_space.effects if settings.model_space_reasons else explain.effects


def open_leads(warehouse: Warehouse, settings: Settings) -> tuple[pd.DataFrame, bool]:
    """The serving features of the leads that may be scored today (none whose consent is withdrawn by now), and
    whether consent is tracked at all (a flat export carries no consent history)."""
    current = warehouse.query("select * from marts.lead_features_current")
    consent_tracked = flat_import.read_record(settings) is None
    withdrawn = guards.withdrawn_consent_ids(warehouse, current["lead_id"]) if consent_tracked else set()
    return current[~current["lead_id"].isin(withdrawn)], consent_tracked


def score_day(warehouse: Warehouse, client: MlflowClient, settings: Settings, as_of: date) -> tuple[pd.DataFrame, str]:
    """Score ``marts.lead_features_current`` (which must be as of ``as_of``) with the champion."""
    built_for = str(warehouse.query("select scoring_date from intermediate.int_scoring_date").scoring_date.iloc[0])[:10]
    if built_for != as_of.isoformat():
        raise StaleFeaturesError(
            f"marts.lead_features_current is as of {built_for}, but scores as of {as_of} need features "
            "as of that date: rebuild the dbt models for it first"
        )
    champion = registry.load_model(client, registry.CHAMPION)
    card = tracking.load_model_card(champion.version.run_id)
    leads, consent_tracked = open_leads(warehouse, settings)
    with model_threads(settings.model_threads):
        scores = scoring.score_leads(
            leads,
            champion.model,
            tracking.card_features(card),
            scoring.grade_bands_from_tags(champion.version.tags),
            REGISTERED_MODEL,
            champion.version.version,
            card["reason_reference"],
            effects_of=reason_effects(settings),
        )
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
