-- Consent changes, one row per (lead_id, changed_at). If the same change is
-- delivered twice (possibly with a corrected flag), the latest load wins.

with source_rows as (
    select * from {{ source('raw', 'consents') }}
    where lead_id is not null
        and changed_at is not null
),

ranked_deliveries as (
    select
        source_rows.*,
        row_number() over (
            partition by lead_id, changed_at
            order by _loaded_at desc, _landed_date desc
        ) as delivery_rank
    from source_rows
)

select
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(ml_processing_allowed as {{ dbt.type_boolean() }}) as ml_processing_allowed,
    cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
    _landed_date,
    _loaded_at
from ranked_deliveries
where delivery_rank = 1
