-- One row per converted lead: its first conversion. A lead stops being a lead
-- (no more snapshots, no more scoring) from this moment on, and the label of a
-- snapshot is whether this moment falls in its label window.

with conversions as (
    select lead_id, converted_at
    from {{ ref('stg_conversions') }}
)

select
    lead_id,
    min(converted_at) as first_converted_at,
    cast(min(converted_at) as date) as first_converted_date,
    count(*) as n_conversions
from conversions
group by lead_id
