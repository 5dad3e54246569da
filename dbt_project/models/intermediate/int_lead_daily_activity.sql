-- One row per lead, activity day and delivery version with at least one
-- activity: the total and a count per activity type. The feature macro
-- aggregates these daily rows into 1/7/30-day windows, which is exact because
-- every window boundary is a midnight.
--
-- landed_date / superseded_on are grouping keys, not a join: a snapshot counts
-- only the rows known at its as_of_date (landed_date < as_of_date <=
-- superseded_on). On time data every activity lands on the day it occurs, so
-- this adds rows only for late or re-delivered activities.
--
-- Incremental by lead: a run recomputes every row of the leads that a changed
-- landing day touches (see changed_landing_days): the leads of its activities'
-- versions, old ones included (an activity can move to another lead), and the
-- leads whose rows came from or ended on that day. A lead left with no activity
-- comes out as one row without an activity_date, deleted by drop_tombstones.

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='lead_id',
          on_schema_change='fail', post_hook="{{ drop_tombstones('activity_date') }}") }}

{%- set deliveries = ref('stg_activity_deliveries') %}

with
{%- if is_incremental() %}
changed_days as (
    {{ changed_landing_days(deliveries, 'landed_date') }}
),

changed_activities as (
    select activity_id
    from {{ deliveries }}
    where _landed_date in (select landed_date from changed_days)
),

changed_leads as (
    select lead_id
    from {{ deliveries }}
    where activity_id in (select activity_id from changed_activities)
    union
    select lead_id
    from {{ this }}
    where landed_date in (select landed_date from changed_days)
        or superseded_on in (select landed_date from changed_days)
),
{%- endif %}

activities as (
    select
        lead_id,
        occurred_date as activity_date,
        activity_type,
        _landed_date as landed_date,
        _superseded_on as superseded_on,
        _loaded_at
    from {{ deliveries }}
    {%- if is_incremental() %}
    where lead_id in (select lead_id from changed_leads)
    {%- endif %}
),

daily as (
    select
        lead_id,
        activity_date,
        landed_date,
        superseded_on,
        max(_loaded_at) as _loaded_at,
        count(*) as activities_total,
        {%- for activity_type in activity_types() %}
        sum(case when activity_type = '{{ activity_type }}' then 1 else 0 end) as {{ activity_type }}_count{{ "," if not loop.last }}
        {%- endfor %}
    from activities
    group by lead_id, activity_date, landed_date, superseded_on
)

{%- if is_incremental() %}

-- a changed lead with no activity left: its tombstone (nulls but the lead_id)
select daily.*
from daily
union all
select changed.lead_id, {% for column in range(4 + activity_types() | length) %}null, {% endfor %}null
from (select distinct lead_id from changed_leads) as changed
where not exists (select 1 from daily where daily.lead_id = changed.lead_id)
{%- else %}

select * from daily
{%- endif %}
