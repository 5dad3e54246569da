"""The Great Expectations suites, defined in code and synced to ``expectations/gx``.

Bounds only known at run time are suite parameters, filled in by the caller:
``min_ts`` / ``max_ts`` (timestamps not before the company existed, not in the
future), ``rows_min`` / ``rows_max`` (the batch's row count against the
trailing daily average) and ``min_non_null__<feature>`` (a feature's allowed
null rate against the training reference).
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from lead_scoring.ml.features import Feature
from lead_scoring.quality.domains import DOMAINS
from lead_scoring.quality.validation import FEATURES_SUITE, ROW_BANDED
from lead_scoring.simulator.schema import RAW_TABLES

TIMESTAMPS = {"leads": "created_at", "activities": "occurred_at", "conversions": "converted_at", "consents": "changed_at", "campaigns": "started_at"}
UNIQUE_KEYS = {"leads": "lead_id", "activities": "activity_id", "conversions": "lead_id", "campaigns": "campaign_id"}
LANDED = "_landed_date"  # the landing day, added to the rows validated: keys are unique per delivery
LEAD_ATTRIBUTES = ("country", "industry", "company_size", "seniority", "lead_source")


def raw_suite(table: str) -> gx.ExpectationSuite:
    contract = RAW_TABLES[table]
    ts = TIMESTAMPS[table]
    expectations = [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*contract.names, LANDED], exact_match=True, notes="source contract"),
        gxe.ExpectColumnValuesToNotBeNull(column=contract.names[0], notes="the key is always there"),
        gxe.ExpectColumnValuesToBeBetween(
            column=ts,
            min_value={"$PARAMETER": "min_ts"},
            max_value={"$PARAMETER": "max_ts"},
            notes="not in the future, not before the company existed",
        ),
    ]
    if table in UNIQUE_KEYS:
        expectations.append(
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=[UNIQUE_KEYS[table], LANDED],
                notes="one row per key in a delivery: right granularity (a later delivery may correct a row)",
            )
        )
    if table in ROW_BANDED:
        expectations.append(
            gxe.ExpectTableRowCountToBeBetween(
                min_value={"$PARAMETER": "rows_min"}, max_value={"$PARAMETER": "rows_max"}, notes="row count within the trailing band"
            )
        )
    for column in contract.names:
        if column in DOMAINS:
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(DOMAINS[column])))
    if table == "leads":
        expectations += [
            gxe.ExpectColumnValuesToNotBeNull(column=c, mostly=0.5, notes="null burst: more than half missing")
            for c in LEAD_ATTRIBUTES
        ]
    if table == "conversions":
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column="deal_amount", min_value=0, max_value=10_000_000))
    if table == "consents":
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column="ml_processing_allowed"))
    return gx.ExpectationSuite(name=f"raw_{table}", expectations=expectations)


def features_suite(features: list[Feature]) -> gx.ExpectationSuite:
    expectations = [
        gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
        gxe.ExpectColumnValuesToBeUnique(column="lead_id", notes="one row per lead"),
    ]
    for feature in features:
        expectations.append(
            gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(
                column=feature.name,
                min_value={"$PARAMETER": f"min_non_null__{feature.name}"},
                notes="null rate against the training reference",
            )
        )
        if feature.feature_type == "numeric":
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=feature.name, min_value=0))
        elif feature.name in DOMAINS:
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=feature.name, value_set=list(DOMAINS[feature.name])))
    return gx.ExpectationSuite(name=FEATURES_SUITE, expectations=expectations)


def all_suites(features: list[Feature]) -> list[gx.ExpectationSuite]:
    return [raw_suite(table) for table in RAW_TABLES] + [features_suite(features)]
