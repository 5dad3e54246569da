-- One row per activity. Re-delivered activities are collapsed to the most
-- recently loaded version so that counts are not inflated by ingestion retries.

with latest as (
    {{ latest_delivery('activities', ['activity_id']) }}
)

select
    cast(activity_id as {{ dbt.type_string() }}) as activity_id,
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
    cast(occurred_at as date) as occurred_date,
    {{ clean_category('activity_type') }} as activity_type,
    _landed_date,
    _loaded_at
from latest
