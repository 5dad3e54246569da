"""The simulated world written as a real CRM would hand it over, in shapes unlike the raw contract.

Used to prove that a mapped source gives the product exactly what the native
path gives it (``tests/integration/test_crm_parity.py``); the mappings that read
them back are ``examples/mappings/crm_hubspot_style.yml`` and ``crm_salesforce_sync.yml``.

- ``hubspot``: a folder of daily CSV deliveries per table (``contacts/contacts_2026-01-31.csv``),
  HubSpot-like column names, display labels (``Email Opened``, ``Organic Search``,
  ``C-Level``), timestamps as ISO strings at a +02:00 offset, conversions as deal rows
  with a stage (a ``Contract Sent`` row before each ``Closed Won`` one);
- ``salesforce``: tables in the warehouse, as an extract-load tool syncs them
  (``crm_sync.lead``, ``crm_sync.task``, ``crm_sync.opportunity``, ...), each row stamped
  with ``_fivetran_synced``; timestamps as ISO strings at -05:00 or as zoned timestamps,
  upper-case industries, ``Closed Won`` / ``Negotiation`` opportunity stages.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lead_scoring.simulator.landing import landed_days
from lead_scoring.warehouse import Replacement, Warehouse

SHAPES = ("hubspot", "salesforce")
ACTIVITY_LABELS = {
    "hubspot": {"page_view": "Page Viewed", "pricing_page_view": "Pricing Page Viewed", "email_open": "Email Opened",
                "email_click": "Email Clicked", "form_submit": "Form Submitted", "webinar_attended": "Webinar Attended",
                "demo_requested": "Demo Requested", "chat_started": "Chat Started"},
    "salesforce": {"page_view": "Web Visit", "pricing_page_view": "Web Visit - Pricing", "email_open": "Email: Opened",
                   "email_click": "Email: Clicked", "form_submit": "Web Form", "webinar_attended": "Webinar",
                   "demo_requested": "Demo Request", "chat_started": "Live Chat"},
}
SOURCE_LABELS = {"organic_search": "Organic Search", "paid_search": "Paid Search", "social": "Paid Social", "referral": "Referrals",
                 "webinar": "Webinar", "events": "Events", "email": "Email Marketing", "partner": "Partner", "marketplace": "Marketplace"}
SENIORITY_LABELS = {"junior": "Junior", "mid": "Mid-level", "senior": "Senior", "director": "Director", "vp": "VP", "c_level": "C-Level"}
COUNTRY_NAMES = {"US": "United States", "GB": "United Kingdom", "DE": "Germany", "FR": "France", "NL": "Netherlands", "ES": "Spain",
                 "IN": "India", "BR": "Brazil", "CA": "Canada", "AU": "Australia"}
CHANNEL_LABELS = {"paid_search": "Paid Search", "social": "Social", "webinar": "Webinar", "events": "Events", "email": "Email",
                  "partner": "Partner"}
SYNC_SCHEMA = "crm_sync"


def _labels(values: pa.ChunkedArray, labels: dict[str, str]) -> pa.Array:
    encoded = pc.dictionary_encode(values.combine_chunks())
    return pc.take(pa.array([labels.get(v, v) for v in encoded.dictionary.to_pylist()], pa.string()), encoded.indices)


def _iso(values: pa.ChunkedArray, hours: int) -> pa.Array:
    """UTC timestamps as local ISO strings with their offset; Arrow writes the microseconds of a `us` timestamp's %S."""
    local = pc.add(values, pa.scalar(timedelta(hours=hours), pa.duration("us")))
    return pc.binary_join_element_wise(pc.strftime(local, format="%Y-%m-%dT%H:%M:%S"), f"{'+' if hours >= 0 else '-'}{abs(hours):02d}:00", "")


def _read(landing: Path, table: str, day: date) -> pa.Table:
    return pq.read_table(Path(landing) / table / f"{day.isoformat()}.parquet")


def _hubspot(table: str, rows: pa.Table) -> tuple[str, pa.Table]:
    c = rows.column
    if table == "leads":
        return "contacts", pa.table({
            "Record ID": c("lead_id"), "Create Date": _iso(c("created_at"), 2), "Email": c("email"), "Name": c("full_name"),
            "Phone Number": c("phone"), "Company Name": c("company"), "Country/Region": _labels(c("country"), COUNTRY_NAMES),
            "Industry": pc.utf8_capitalize(c("industry")), "Company size": c("company_size"), "Job Title": c("job_title"),
            "Seniority": _labels(c("seniority"), SENIORITY_LABELS), "Original Source": _labels(c("lead_source"), SOURCE_LABELS),
            "Campaign": c("campaign_id")})
    if table == "activities":
        return "engagements", pa.table({
            "Engagement ID": c("activity_id"), "Contact ID": c("lead_id"), "Activity Date": _iso(c("occurred_at"), 2),
            "Activity Type": _labels(c("activity_type"), ACTIVITY_LABELS["hubspot"])})
    if table == "conversions":
        won = pa.table({"Deal ID": pc.binary_join_element_wise("D-", c("lead_id"), ""), "Associated Contact ID": c("lead_id"),
                        "Deal Stage": pa.array(["Closed Won"] * rows.num_rows, pa.string()),
                        "Close Date": _iso(c("converted_at"), 2), "Amount": pc.cast(c("deal_amount"), pa.string())})
        earlier = won.set_column(2, "Deal Stage", pa.array(["Contract Sent"] * rows.num_rows, pa.string()))
        return "deals", pa.concat_tables([earlier, won])
    if table == "consents":
        return "consents", pa.table({
            "Contact ID": c("lead_id"), "ML processing consent": pc.if_else(c("ml_processing_allowed"), "Granted", "Not granted"),
            "Consent Updated": _iso(c("changed_at"), 2)})
    return "campaigns", pa.table({
        "Campaign ID": c("campaign_id"), "Channel": _labels(c("channel"), CHANNEL_LABELS), "Start Date": _iso(c("started_at"), 2),
        "Budget": c("budget")})


def _salesforce(table: str, rows: pa.Table) -> tuple[str, pa.Table]:
    c = rows.column
    if table == "leads":
        return "lead", pa.table({
            "Id": c("lead_id"), "CreatedDate": _iso(c("created_at"), -5), "Email": c("email"), "Name": c("full_name"),
            "Phone": c("phone"), "Company": c("company"), "Country": c("country"), "Industry": pc.utf8_upper(c("industry")),
            "NumberOfEmployees": c("company_size"), "Title": c("job_title"), "Seniority__c": _labels(c("seniority"), SENIORITY_LABELS),
            "LeadSource": _labels(c("lead_source"), SOURCE_LABELS), "CampaignId": c("campaign_id")})
    if table == "activities":
        return "task", pa.table({"Id": c("activity_id"), "WhoId": c("lead_id"), "ActivityDateTime": _iso(c("occurred_at"), -5),
                                 "Type": _labels(c("activity_type"), ACTIVITY_LABELS["salesforce"])})
    if table == "conversions":
        won = pa.table({"Id": pc.binary_join_element_wise("OPP-", c("lead_id"), ""), "ContactId": c("lead_id"),
                        "StageName": pa.array(["Closed Won"] * rows.num_rows, pa.string()),
                        "CloseDate": pc.cast(c("converted_at"), pa.timestamp("us", tz="UTC")), "Amount": c("deal_amount")})
        negotiating = won.set_column(2, "StageName", pa.array(["Negotiation"] * rows.num_rows, pa.string()))
        return "opportunity", pa.concat_tables([negotiating, won])
    if table == "consents":
        return "consent__c", pa.table({"Contact__c": c("lead_id"), "Allowed__c": c("ml_processing_allowed"),
                                       "LastModifiedDate": pc.cast(c("changed_at"), pa.timestamp("us", tz="UTC"))})
    return "campaign", pa.table({"Id": c("campaign_id"), "Type": _labels(c("channel"), CHANNEL_LABELS),
                                 "StartDate": _iso(c("started_at"), -5), "BudgetedCost": c("budget")})


def write_hubspot(landing: Path, target: Path, tables: tuple[str, ...]) -> int:
    """One CSV per table per landing day under ``target``; returns the files written."""
    written = 0
    for table in tables:
        for day in landed_days(landing, table):
            folder, rows = _hubspot(table, _read(landing, table, day))
            (target / folder).mkdir(parents=True, exist_ok=True)
            pacsv.write_csv(rows, target / folder / f"{folder}_{day.isoformat()}.csv")
            written += 1
    return written


def write_salesforce(landing: Path, warehouse: Warehouse, tables: tuple[str, ...]) -> int:
    """Every landing day appended to ``crm_sync.<object>``, stamped with the sync time (that day, 23:30 UTC); returns rows."""
    written = 0
    for table in tables:
        parts = []
        for day in landed_days(landing, table):
            name, rows = _salesforce(table, _read(landing, table, day))
            synced = datetime.combine(day, time(23, 30), tzinfo=timezone.utc).replace(tzinfo=None)
            parts.append(rows.append_column("_fivetran_synced", pa.array(np.full(rows.num_rows, np.datetime64(synced, "us")))))
        if parts:
            whole = pa.concat_tables(parts)
            warehouse.replace([Replacement.whole(f"{SYNC_SCHEMA}.{name}", whole)])
            written += whole.num_rows
    return written
