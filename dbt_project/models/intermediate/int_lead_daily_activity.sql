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
-- Incremental by (lead, activity day, landing day): a run recomputes the groups
-- that a changed landing day touches (see changed_landing_days): those of every
-- version of its activities, old ones included (a re-delivery re-dates them, and
-- can move an activity to another lead), and those that landed on or ended on
-- that day. On time data that is the day's new activities only. A group left
-- empty comes out as one row without counts, deleted by drop_tombstones.

{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key=['lead_id', 'activity_date', 'landed_date'],
          indexes=postgres_indexes([['lead_id', 'activity_date', 'landed_date'], ['landed_date'], ['superseded_on']]),
          on_schema_change='fail', post_hook="{{ drop_tombstones('activities_total') }}") }}

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

changed_groups as (
    select lead_id, occurred_date as activity_date, _landed_date as landed_date
    from {{ deliveries }}
    where activity_id in (select activity_id from changed_activities)
    union
    select lead_id, activity_date, landed_date
    from {{ this }}
    where landed_date in (select landed_date from changed_days)
        or superseded_on in (select landed_date from changed_days)
),
{%- endif %}

activities as (
    select
        deliveries.lead_id,
        deliveries.occurred_date as activity_date,
        deliveries.activity_type,
        deliveries._landed_date as landed_date,
        deliveries._superseded_on as superseded_on,
        deliveries._loaded_at
    from {{ deliveries }} as deliveries
    {%- if is_incremental() %}
    inner join changed_groups
        on changed_groups.lead_id = deliveries.lead_id
        and changed_groups.activity_date = deliveries.occurred_date
        and changed_groups.landed_date = deliveries._landed_date
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

-- a changed group with no activity left: its tombstone (the key, nulls for the rest)
select daily.*
from daily
union all
select changed.lead_id, changed.activity_date, changed.landed_date, {% for column in range(2 + activity_types() | length) %}null, {% endfor %}null
from (select distinct lead_id, activity_date, landed_date from changed_groups) as changed
where not exists (
    select 1 from daily
    where daily.lead_id = changed.lead_id and daily.activity_date = changed.activity_date and daily.landed_date = changed.landed_date
)
{%- else %}

select * from daily
{%- endif %}
