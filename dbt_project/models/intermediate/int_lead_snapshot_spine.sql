-- Training spine: for every lead, the days it is snapshotted on. Snapshots are
-- taken at lead ages 1, 1 + k * snapshot_interval_days, ... while the age is at
-- most lead_open_days (the lead's open life) and the date has been reached,
-- i.e. is not after the scoring date. Age 1 is the day after creation at
-- 00:00: the first moment the whole creation day is visible.
-- Converted / non-consenting leads are filtered later (eligible_lead_dates).

{%- set lead_open_days = int_var('lead_open_days') -%}
{%- set snapshot_interval_days = int_var('snapshot_interval_days') %}

with snapshot_ages as (
    -- a small literal number series (portable: no generate_series / range)
    {%- for age in range(1, lead_open_days + 1, snapshot_interval_days) %}
    select {{ age }} as lead_age_days {{ "union all" if not loop.last }}
    {%- endfor %}
),

leads as (
    select lead_id, created_date
    from {{ ref('stg_leads') }}
),

candidate_snapshots as (
    select
        leads.lead_id,
        {{ add_days('leads.created_date', 'snapshot_ages.lead_age_days') }} as as_of_date,
        snapshot_ages.lead_age_days
    from leads
    cross join snapshot_ages
)

select
    lead_id,
    as_of_date,
    lead_age_days
from candidate_snapshots
where as_of_date <= {{ scoring_date() }}
