-- One row per campaign; the most recently loaded version of a campaign wins.

with latest as (
    {{ latest_delivery('campaigns', ['campaign_id']) }}
)

select
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    {{ clean_category('channel') }} as channel,
    cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
    cast(budget as {{ dbt.type_float() }}) as budget,
    _landed_date,
    _loaded_at
from latest
