-- One row per campaign: its current version (the latest landing day's).

{{ config(materialized='view') }}

select
    campaign_id,
    channel,
    started_at,
    budget,
    _landed_date,
    _loaded_at
from {{ ref('stg_campaign_deliveries') }}
where _superseded_on is null
