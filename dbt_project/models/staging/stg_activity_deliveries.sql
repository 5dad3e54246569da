-- Every version of every activity, one per landing day that delivered it (see
-- macro delivery_versions): the features of a snapshot count the versions
-- known at its as_of_date, so a later delivery cannot rewrite a past snapshot.

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='activity_id',
          indexes=postgres_indexes([['activity_id'], ['_landed_date']]),
          on_schema_change='fail', post_hook="{{ drop_tombstones() }}") }}

with versions as (
    {{ delivery_versions('activities', ['activity_id']) }}
)

select
    cast(activity_id as {{ dbt.type_string() }}) as activity_id,
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
    cast(occurred_at as date) as occurred_date,
    {{ clean_category('activity_type') }} as activity_type,
    _landed_date,
    _loaded_at,
    _superseded_on
from versions
