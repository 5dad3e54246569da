-- One row per lead per day on which the lead had at least one activity:
-- the total and a count per activity type. The feature macro aggregates these
-- daily rows into 1/7/30-day windows, which is exact because every window
-- boundary is a midnight.

with activities as (
    select
        lead_id,
        occurred_date as activity_date,
        activity_type
    from {{ ref('stg_activities') }}
)

select
    lead_id,
    activity_date,
    count(*) as activities_total,
    {%- for activity_type in activity_types() %}
    sum(case when activity_type = '{{ activity_type }}' then 1 else 0 end) as {{ activity_type }}_count{{ "," if not loop.last }}
    {%- endfor %}
from activities
group by lead_id, activity_date
