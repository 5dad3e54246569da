-- Point-in-time check, written independently of the lead_features() macro and
-- of the daily rollup: recount every row's activities straight from
-- stg_activities using raw timestamps (occurred_at strictly before as_of_date
-- 00:00) and compare with the features. Any row returned means the feature
-- SQL sees future events (leakage) or loses past ones.

with mart_rows as (
    select
        'lead_snapshots' as mart,
        lead_id, as_of_date, activities_all_time, activities_30d, days_since_last_activity
    from {{ ref('lead_snapshots') }}
    union all
    select
        'lead_features_current' as mart,
        lead_id, as_of_date, activities_all_time, activities_30d, days_since_last_activity
    from {{ ref('lead_features_current') }}
),

recounted as (
    select
        mart_rows.mart,
        mart_rows.lead_id,
        mart_rows.as_of_date,
        count(activities.activity_id) as expected_all_time,
        sum(
            case
                when activities.occurred_at >= cast({{ dbt.dateadd('day', -30, 'mart_rows.as_of_date') }} as {{ dbt.type_timestamp() }})
                    then 1
                else 0
            end
        ) as expected_30d,
        max(activities.occurred_at) as last_activity_at
    from mart_rows
    left join {{ ref('stg_activities') }} as activities
        on activities.lead_id = mart_rows.lead_id
        and activities.occurred_at < cast(mart_rows.as_of_date as {{ dbt.type_timestamp() }})
    group by mart_rows.mart, mart_rows.lead_id, mart_rows.as_of_date
)

select
    mart_rows.mart,
    mart_rows.lead_id,
    mart_rows.as_of_date,
    mart_rows.activities_all_time,
    recounted.expected_all_time,
    mart_rows.activities_30d,
    recounted.expected_30d,
    mart_rows.days_since_last_activity,
    recounted.last_activity_at
from mart_rows
inner join recounted
    on recounted.mart = mart_rows.mart
    and recounted.lead_id = mart_rows.lead_id
    and recounted.as_of_date = mart_rows.as_of_date
where mart_rows.activities_all_time <> recounted.expected_all_time
    or mart_rows.activities_30d <> coalesce(recounted.expected_30d, 0)
    or mart_rows.days_since_last_activity is distinct from
        {{ dbt.datediff('cast(recounted.last_activity_at as date)', 'mart_rows.as_of_date', 'day') }}
