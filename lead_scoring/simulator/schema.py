"""The raw data contract: what a CRM / marketing-automation sync lands each day.

One Parquet file per table per day. Ingestion loads each file into the
warehouse schema ``raw`` (table name = key below) and adds two bookkeeping
columns: ``_landed_date`` (the landing day, DATE) and ``_loaded_at`` (wall-clock
load time, TIMESTAMP). dbt's ``sources.yml`` declares the same columns.

The ground-truth table is written by the simulator only, lands in its own
folder and is loaded into the ``ground_truth`` schema, which no dbt model may
read: it exists to measure the best achievable score (the Bayes limit).
"""

from __future__ import annotations

import pyarrow as pa

RAW_TABLES: dict[str, pa.Schema] = {
    "leads": pa.schema(
        [
            ("lead_id", pa.string()),
            ("created_at", pa.timestamp("us")),
            ("email", pa.string()),
            ("full_name", pa.string()),
            ("phone", pa.string()),
            ("company", pa.string()),
            ("country", pa.string()),
            ("industry", pa.string()),
            ("company_size", pa.string()),
            ("job_title", pa.string()),
            ("seniority", pa.string()),
            ("lead_source", pa.string()),
            ("campaign_id", pa.string()),
        ]
    ),
    "activities": pa.schema(
        [
            ("activity_id", pa.string()),
            ("lead_id", pa.string()),
            ("occurred_at", pa.timestamp("us")),
            ("activity_type", pa.string()),
        ]
    ),
    "conversions": pa.schema(
        [
            ("lead_id", pa.string()),
            ("converted_at", pa.timestamp("us")),
            ("deal_amount", pa.float64()),
        ]
    ),
    "consents": pa.schema(
        [
            ("lead_id", pa.string()),
            ("ml_processing_allowed", pa.bool_()),
            ("changed_at", pa.timestamp("us")),
        ]
    ),
    "campaigns": pa.schema(
        [
            ("campaign_id", pa.string()),
            ("channel", pa.string()),
            ("started_at", pa.timestamp("us")),
            ("budget", pa.float64()),
        ]
    ),
}

GROUND_TRUTH_TABLE = "lead_propensity"
GROUND_TRUTH_SCHEMA = pa.schema(
    [
        ("lead_id", pa.string()),
        ("created_at", pa.timestamp("us")),
        # Probability that the lead converts at all (within CONVERSION_HORIZON_DAYS).
        ("p_convert", pa.float64()),
    ]
)

ACTIVITY_TYPES = (
    "page_view",
    "pricing_page_view",
    "email_open",
    "email_click",
    "form_submit",
    "webinar_attended",
    "demo_requested",
    "chat_started",
)
# The group of a mapped source's activity types that match none of the above (lead_scoring/crm): counted in the
# activity totals and reported by the landing, not a feature of its own. The simulator sends none.
OTHER_ACTIVITY = "other"
SENIORITIES = ("junior", "mid", "senior", "director", "vp", "c_level")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1001+")
LEAD_SOURCES = (
    "organic_search",
    "paid_search",
    "social",
    "referral",
    "webinar",
    "events",
    "email",
    "partner",
    # Declared before its launch (reviewed change to the source contract): admitted by the
    # suites and dbt tests. The documented world sends none; scenario new_channel does.
    "marketplace",
)
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "ES", "IN", "BR", "CA", "AU")
INDUSTRIES = (
    "software",
    "finance",
    "healthcare",
    "retail",
    "manufacturing",
    "education",
    "media",
    "logistics",
)
