-- One row per campaign; the most recently loaded version of a campaign wins.

with source_rows as (
    select * from {{ source('raw', 'campaigns') }}
    where campaign_id is not null
),

ranked_deliveries as (
    select
        source_rows.*,
        row_number() over (
            partition by campaign_id
            order by _loaded_at desc, _landed_date desc
        ) as delivery_rank
    from source_rows
)

select
    cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
    {{ clean_category('channel') }} as channel,
    cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
    cast(budget as {{ dbt.type_float() }}) as budget,
    _landed_date,
    _loaded_at
from ranked_deliveries
where delivery_rank = 1
