"""Run-time inputs of the Great Expectations suites, and running them over a load.

The suites hold parameters for bounds only known when the data arrives: the
present moment, the trailing average of rows per landing day, and each
feature's null rate in the training reference.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Iterable

import pandas as pd
import pyarrow as pa

from lead_scoring import tables
from lead_scoring.ml.features import Feature
from lead_scoring.warehouse import Warehouse

if TYPE_CHECKING:  # Great Expectations is slow to import; the functions that run it import it
    from lead_scoring.steps.ingest import PreparedLoad
    from lead_scoring.quality.gx_project import GxProject, ValidationOutcome

FEATURES_SUITE = "features"
# Consents are never held back by volume: a burst of withdrawals must take effect, not wait.
ROW_BANDED = ("leads", "activities", "conversions")

COMPANY_FOUNDED = datetime(2015, 1, 1)
TRAILING_DAYS = 14
REFERENCE_TABLE = tables.TRAINING_REFERENCE
NULL_BURST_FLOOR = 0.5  # a feature rarely null in training must stay at least this non-null
RARELY_NULL = 0.10


def row_band(warehouse: Warehouse, table: str, days: list[date]) -> tuple[float, float]:
    """Rows expected for ``days`` of ``table``: half to twice the trailing daily average, with Poisson slack."""
    if not warehouse.table_exists(tables.LOAD_STATS):
        return 0.0, 1e15
    history = warehouse.query(
        f"select landed from {tables.LOAD_STATS} where source = ? and _landed_date < ? "
        "order by _landed_date desc limit ?",
        [table, min(days), TRAILING_DAYS],
    )
    if len(history) < 3:
        return 0.0, 1e15
    expected = float(history.landed.mean()) * len(days)
    slack = 3 * math.sqrt(max(expected, 1.0))
    return max(0.0, 0.5 * expected - slack), 2.0 * expected + slack


def raw_parameters(warehouse: Warehouse, table: str, days: list[date]) -> dict:
    rows_min, rows_max = row_band(warehouse, table, days)
    return {
        "min_ts": COMPANY_FOUNDED,
        "max_ts": datetime.now(timezone.utc).replace(tzinfo=None),
        "rows_min": rows_min,
        "rows_max": rows_max,
    }


def validate_raw(project: GxProject, table: str, chunks: Iterable[pa.Table], parameters: dict) -> ValidationOutcome:
    """Validate the rows of a load chunk by chunk; the outcome fails if any chunk does.

    The row count band applies to the whole load, so it is checked on the total.
    """
    from lead_scoring.quality.gx_project import FailedExpectation, ValidationOutcome

    outcomes, total = [], 0
    for chunk in chunks:
        total += chunk.num_rows
        outcomes.append(project.validate(f"raw_{table}", chunk.to_pandas(), {**parameters, "rows_min": 0, "rows_max": 1e15}, id_column=chunk.column_names[0]))
    failures = [f for o in outcomes for f in o.failures]
    if table in ROW_BANDED and not parameters["rows_min"] <= total <= parameters["rows_max"]:
        failures.append(
            FailedExpectation(
                "expect_table_row_count_to_be_between",
                None,
                {"min_value": round(parameters["rows_min"]), "max_value": round(parameters["rows_max"])},
                total,
                None,
                None,
            )
        )
    last = outcomes[-1] if outcomes else None
    return ValidationOutcome(f"raw_{table}", not failures, last.evaluated if last else 0, failures, last.docs_url if last else None)


NEWEST_COHORT_DAYS = 1  # leads created the day before the as-of date


def _cohorts(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """All rows, and the newest cohort, where a burst in today's leads is not diluted by older ones.

    A source without lead ages (a flat export) has one cohort: all rows.
    """
    if "days_since_created" not in frame:
        return {"all": frame}
    return {"all": frame, "newest": frame[frame["days_since_created"] <= NEWEST_COHORT_DAYS]}


def write_reference(warehouse: Warehouse, training: pd.DataFrame, features: list[Feature]) -> None:
    """Null rate of each feature on the training rows, per cohort: what 'normal' looks like for the features suite."""
    rates = [
        {"cohort": cohort, "feature": f.name, "null_rate": float(rows[f.name].isna().mean()) if len(rows) else 0.0}
        for cohort, rows in _cohorts(training).items()
        for f in features
    ]
    warehouse.overwrite(REFERENCE_TABLE, pd.DataFrame(rates))


def feature_parameters(warehouse: Warehouse, features: list[Feature], cohort: str) -> dict:
    """``min_non_null__<feature>``: a feature under 10% null in the reference must stay at least half filled.

    Without a reference yet (before the first training run) there is nothing to compare with: no bound.
    """
    reference = {}
    if warehouse.table_exists(REFERENCE_TABLE):
        rows = warehouse.query(f"select feature, null_rate from {REFERENCE_TABLE} where cohort = ?", [cohort])
        reference = dict(rows.itertuples(index=False))
    return {
        f"min_non_null__{f.name}": NULL_BURST_FLOOR if f.name in reference and reference[f.name] < RARELY_NULL else 0.0
        for f in features
    }


def validate_features(project: "GxProject", warehouse: Warehouse, frame: pd.DataFrame, features: list[Feature]) -> list[tuple[str, "ValidationOutcome"]]:
    """The features suite on all open leads and on the newest cohort, each against its own reference."""
    outcomes = [
        (f"{cohort} leads", project.validate(FEATURES_SUITE, rows, feature_parameters(warehouse, features, cohort), id_column="lead_id"))
        for cohort, rows in _cohorts(frame).items()
        if len(rows)
    ]
    project.publish_docs()
    return outcomes


def validate_load(project: "GxProject", warehouse: Warehouse, prepared: "PreparedLoad") -> dict:
    """Each table's suite on the rows it would load (before anything is written)."""
    outcomes = {
        table: validate_raw(project, table, prepared.valid_chunks(table), raw_parameters(warehouse, table, prepared.days))
        for table in prepared.tables
    }
    project.publish_docs()
    return outcomes
