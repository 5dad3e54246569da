-- One row per activity: its current version (the latest landing day's), so that
-- counts are not inflated by re-deliveries. A view: the deduplication is done
-- once, in stg_activity_deliveries, and copying a million rows a day to drop a
-- column would cost more than the filter does on each read.

{{ config(materialized='view') }}

select
    activity_id,
    lead_id,
    occurred_at,
    occurred_date,
    activity_type,
    _landed_date,
    _loaded_at
from {{ ref('stg_activity_deliveries') }}
where _superseded_on is null
