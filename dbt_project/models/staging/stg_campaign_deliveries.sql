-- Every version of every campaign, one per landing day that delivered it (see
-- macro delivery_versions): a snapshot's campaign_channel is the one known at
-- its as_of_date.

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='campaign_id',
          indexes=postgres_indexes([['campaign_id'], ['_landed_date']]),
          on_schema_change='fail', post_hook="{{ drop_tombstones() }}") }}

with versions as (
    {{ delivery_versions('campaigns', ['campaign_id']) }}
)

select
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    {{ clean_category('channel') }} as channel,
    cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
    cast(budget as {{ dbt.type_float() }}) as budget,
    _landed_date,
    _loaded_at,
    _superseded_on
from versions
