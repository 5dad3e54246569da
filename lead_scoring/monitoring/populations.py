"""Which rows the monitors compare, for each kind of source.

Simulated CRM (leads arrive every day and age): drift compares *the day's new
leads* (1 day old at the as-of date) with the champion's training snapshots at
the same age. Equal ages make the engagement features comparable, and a change
in who arrives (a new channel, a tracking outage) shows at full strength the day
it starts instead of being diluted by 90 days of older open leads. A score's
label matures 30 days after it, from ``raw.conversions``; live performance weighs
the labelled scores to the ages of the champion's test rows (see
``lead_scoring.monitoring.performance``).

Flat export (one row per lead, imported again when the CRM is exported again;
no ages): drift compares the leads served as of an import with the leads served
as of the import the champion was trained on: both times the serving population,
the leads without a conversion, so a first import never drifts from itself. A
score is labelled by the outcome a later import records for its lead; its test
split is a random one of the same population, so no weighting is needed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from lead_scoring import tables
from lead_scoring.flat import importer as flat_import
from lead_scoring.monitoring import performance
from lead_scoring.settings import Settings
from lead_scoring.warehouse import Warehouse

REFERENCE_AGE_DAYS = 1
FLAT_OUTCOMES = "staging.stg_flat_export"


def is_flat(settings: Settings) -> bool:
    return flat_import.read_record(settings) is not None


def reference_rows(warehouse: Warehouse, settings: Settings) -> pd.DataFrame:
    """At a retrain: the rows whose features (and the new champion's predictions on them) become the drift reference."""
    if is_flat(settings):
        return warehouse.query("select * from marts.lead_features_current")
    return warehouse.query(
        f"select * from {tables.TRAINING_SET} where split = 'train' and days_since_created = ?", [REFERENCE_AGE_DAYS]
    )


def test_rows_by_age(warehouse: Warehouse, settings: Settings) -> pd.DataFrame:
    """At a retrain: how many test rows the new champion was evaluated on, per lead age (none for a flat export)."""
    if is_flat(settings):
        return pd.DataFrame()
    return warehouse.query(
        f"select days_since_created as lead_age_days, count(*) as test_rows from {tables.TRAINING_SET} "
        "where split = 'test' group by 1 order by 1"
    )


def current_features(warehouse: Warehouse, settings: Settings) -> pd.DataFrame:
    """The served rows of the as-of date that feature drift compares with the reference."""
    if is_flat(settings):
        return warehouse.query("select * from marts.lead_features_current")
    return warehouse.query("select * from marts.lead_features_current where days_since_created = ?", [REFERENCE_AGE_DAYS])


def current_scores(warehouse: Warehouse, settings: Settings, as_of: date) -> pd.DataFrame:
    """Probability and grade of the same rows, as scored on the as-of date."""
    if is_flat(settings):
        return warehouse.query(f"select probability, grade from {tables.SCORES} where as_of_date = ?", [as_of])
    return warehouse.query(
        f"select s.probability, s.grade from {tables.SCORES} s join marts.lead_features_current f on f.lead_id = s.lead_id "
        "where s.as_of_date = ? and f.days_since_created = ?",
        [as_of, REFERENCE_AGE_DAYS],
    )


def window_start(settings: Settings, as_of: date, window_days: int) -> date:
    """First scoring date of a live-performance window of ``window_days`` scoring days."""
    if is_flat(settings):
        return as_of - timedelta(days=window_days)
    return performance.matured_score_dates(as_of, window_days)[0]


def labelled_scores(warehouse: Warehouse, settings: Settings, as_of: date) -> pd.DataFrame:
    """The served scores whose outcome is known by ``as_of``, widest window: as_of_date, probability, label.

    Simulated CRM: scores at least 30 days old, labelled by a conversion within their 30-day window,
    with the lead's age at scoring (``lead_age_days``).
    Flat export: scores of earlier imports, labelled by the outcome the latest import records
    (leads it has no outcome for, or no longer lists, are left out).
    """
    widest = max(performance.WINDOWS)
    if is_flat(settings):
        return warehouse.query(
            f"select s.as_of_date, s.probability, cast(o.converted as integer) as label from {tables.SCORES} s "
            f"join {FLAT_OUTCOMES} o on o.lead_id = s.lead_id "
            "where s.as_of_date >= ? and s.as_of_date < ? and o.converted is not null",
            [window_start(settings, as_of, widest), as_of],
        )
    first, last = performance.matured_score_dates(as_of, widest)
    scores = warehouse.query(
        f"select s.lead_id, s.as_of_date, s.probability, s.as_of_date - l.created_date as lead_age_days "
        f"from {tables.SCORES} s join staging.stg_leads l on l.lead_id = s.lead_id where s.as_of_date between ? and ?",
        [first, last],
    )
    conversions = warehouse.query(
        "select lead_id, min(converted_at) as converted_at from raw.conversions "
        f"where lead_id in (select lead_id from {tables.SCORES} where as_of_date between ? and ?) group by lead_id",
        [first, last],
    )
    scores["label"] = performance.label_scores(scores, conversions) if len(scores) else []
    return scores[["as_of_date", "probability", "label", "lead_age_days"]]
