-- One row per lead: its current version (the latest landing day's), PII already
-- removed in stg_lead_deliveries. A view over that table: the deduplication
-- runs once a build, not on every read.

{{ config(materialized='view') }}

select
    lead_id,
    created_at,
    created_date,
    country,
    industry,
    company_size,
    job_title,
    seniority,
    lead_source,
    campaign_id,
    _landed_date,
    _loaded_at
from {{ ref('stg_lead_deliveries') }}
where _superseded_on is null
