-- One row per lead, activity day and delivery version with at least one
-- activity: the total and a count per activity type. The feature macro
-- aggregates these daily rows into 1/7/30-day windows, which is exact because
-- every window boundary is a midnight.
--
-- landed_date / superseded_on are grouping keys, not a join: a snapshot counts
-- only the rows known at its as_of_date (landed_date < as_of_date <=
-- superseded_on). On time data every activity lands on the day it occurs, so
-- this adds rows only for late or re-delivered activities.

with activities as (
    select
        lead_id,
        occurred_date as activity_date,
        activity_type,
        _landed_date as landed_date,
        _superseded_on as superseded_on
    from {{ ref('stg_activity_deliveries') }}
)

select
    lead_id,
    activity_date,
    landed_date,
    superseded_on,
    count(*) as activities_total,
    {%- for activity_type in activity_types() %}
    sum(case when activity_type = '{{ activity_type }}' then 1 else 0 end) as {{ activity_type }}_count{{ "," if not loop.last }}
    {%- endfor %}
from activities
group by lead_id, activity_date, landed_date, superseded_on
