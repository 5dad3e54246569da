"""Everything the report shows, gathered from the warehouse, the MLflow registry and the dbt manifest.

The warehouse does the heavy lifting: scores are aggregated in SQL (by date,
grade and probability bin) so the report costs the same whatever the number of
leads. The SQL is plain ANSI (date literals, ``case``, ``floor``, date
subtraction) so it runs on DuckDB and Postgres alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from lead_scoring import tables
from lead_scoring.policies import DriftPolicy
from lead_scoring.reporting.figures import BINS, LABEL_WINDOW_DAYS
from lead_scoring.tables import LOAD_STATS
from lead_scoring.warehouse import Warehouse

if TYPE_CHECKING:  # model_card imports MLflow, which the data gathering itself does not need
    from lead_scoring.reporting.model_card import ModelCard

CONVERSIONS = "intermediate.int_lead_first_conversion"
MONITORING_TABLES = {
    "feature_drift": "monitoring.feature_drift",
    "prediction_drift": "monitoring.prediction_drift",
    "live_performance": "monitoring.live_performance",
    "source_freshness": "monitoring.source_freshness",
}
HISTORY_DAYS = 180  # how far back the report's charts look


@dataclass
class Scores:
    latest: date | None
    facts: pd.DataFrame  # as_of_date, grade, bin, rows, probability_sum, converted
    leads_scored_week: int = 0
    leads_scored_latest: int = 0
    labels_available: bool = False


@dataclass(frozen=True)
class CheckOutcome:
    """The latest result of one Dagster asset check."""

    asset: str
    check: str
    passed: bool
    severity: str
    description: str
    at: datetime | None


@dataclass
class Quality:
    load_stats: pd.DataFrame | None  # source, landed, loaded, quarantined over the last week
    checks: list[CheckOutcome] | None  # None: the report ran outside Dagster

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks or [] if not c.passed and c.severity != "WARN"]

    @property
    def warned_checks(self) -> list[CheckOutcome]:
        """Checks of warning severity that did not pass: worth a look, not a failure."""
        return [c for c in self.checks or [] if not c.passed and c.severity == "WARN"]


@dataclass
class ReportData:
    generated_at: datetime
    scores: Scores
    model: ModelCard | None
    monitoring: dict[str, pd.DataFrame | None]
    quality: Quality
    links: dict[str, str] = field(default_factory=dict)
    drift_policy: DriftPolicy = DriftPolicy()  # the thresholds the drift charts draw


def _literal(day: date) -> str:
    return f"date '{day.isoformat()}'"


def _as_dates(frame: pd.DataFrame, column: str = "as_of_date") -> pd.DataFrame:
    if not frame.empty:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def gather_scores(warehouse: Warehouse, history_days: int = HISTORY_DAYS) -> Scores:
    """Scores aggregated by (scoring date, grade, probability bin), with conversions in the label window."""
    if not warehouse.table_exists(tables.SCORES):
        return Scores(latest=None, facts=pd.DataFrame())
    latest = warehouse.query(f"select max(as_of_date) as d from {tables.SCORES}").d.iloc[0]
    if pd.isna(latest):
        return Scores(latest=None, facts=pd.DataFrame())
    latest = pd.Timestamp(latest).date()
    since = latest - timedelta(days=history_days)
    labels_available = warehouse.table_exists(CONVERSIONS)
    converted = (
        f"case when c.first_converted_date >= s.as_of_date "
        f"and c.first_converted_date - s.as_of_date < {LABEL_WINDOW_DAYS} then 1 else 0 end"
    )
    join = f"left join {CONVERSIONS} c on c.lead_id = s.lead_id" if labels_available else ""
    facts = warehouse.query(
        f"""
        select s.as_of_date, s.grade, cast(floor(s.probability * {BINS}) as integer) as bin,
               count(*) as scored, sum(s.probability) as probability_sum,
               sum({converted if labels_available else '0'}) as converted
        from {tables.SCORES} s {join}
        where s.as_of_date > {_literal(since)}
        group by s.as_of_date, s.grade, cast(floor(s.probability * {BINS}) as integer)
        """
    )
    facts = facts.rename(columns={"scored": "rows"})  # ROWS is an SQL keyword, not a safe alias everywhere
    facts["bin"] = facts["bin"].clip(upper=BINS - 1)
    counts = warehouse.query(
        f"""
        select count(distinct lead_id) as week,
               sum(case when as_of_date = {_literal(latest)} then 1 else 0 end) as latest
        from {tables.SCORES} where as_of_date > {_literal(latest - timedelta(days=7))}
        """
    )
    return Scores(
        latest=latest,
        facts=_as_dates(facts),
        leads_scored_week=int(counts.week.iloc[0]),
        leads_scored_latest=int(counts.latest.iloc[0] or 0),
        labels_available=labels_available,
    )


def gather_monitoring(warehouse: Warehouse, since: date) -> dict[str, pd.DataFrame | None]:
    """The monitoring tables' recent rows; None for a table monitoring has not written yet."""
    found = {}
    for name, table in MONITORING_TABLES.items():
        if not warehouse.table_exists(table):
            found[name] = None
            continue
        found[name] = _as_dates(
            warehouse.query(f"select * from {table} where as_of_date > {_literal(since)} order by as_of_date")
        )
    return found


def gather_load_stats(warehouse: Warehouse, since: date) -> pd.DataFrame | None:
    """Rows landed, loaded and quarantined per source over the landing days after ``since``."""
    if not warehouse.table_exists(LOAD_STATS):
        return None
    return warehouse.query(
        f"""
        select source, sum(landed) as landed, sum(loaded) as loaded, sum(quarantined) as quarantined
        from {LOAD_STATS} where _landed_date > {_literal(since)}
        group by source order by source
        """
    )
