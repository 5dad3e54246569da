{#
    Row-level checks of a feature mart (lead_snapshots or lead_features_current),
    written independently of the lead_features() and eligible_lead_dates() macros.
    Each returns the offending rows; a singular test per mart calls it, so a
    daily run that rebuilds only lead_features_current tests only that mart
    (dbt's cautious indirect selection, see lead_scoring/defs/features.py).
#}

{#
    point_in_time_violations(mart): recount every row's activities straight from
    stg_activity_deliveries using raw timestamps and landing days (occurred_at
    strictly before as_of_date 00:00, the version landed before as_of_date and
    not replaced by then) and compare with the features. Any row returned means
    the feature SQL sees future events or late deliveries (leakage) or loses
    past ones.
#}
{% macro point_in_time_violations(mart) %}
with mart_rows as (
    select lead_id, as_of_date, activities_all_time, activities_30d, days_since_last_activity
    from {{ mart }}
),

recounted as (
    select
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
    left join {{ ref('stg_activity_deliveries') }} as activities
        on activities.lead_id = mart_rows.lead_id
        and activities.occurred_at < cast(mart_rows.as_of_date as {{ dbt.type_timestamp() }})
        and activities._landed_date < mart_rows.as_of_date
        and (activities._superseded_on is null or mart_rows.as_of_date <= activities._superseded_on)
    group by mart_rows.lead_id, mart_rows.as_of_date
)

select
    '{{ mart.identifier }}' as mart,
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
    on recounted.lead_id = mart_rows.lead_id
    and recounted.as_of_date = mart_rows.as_of_date
where mart_rows.activities_all_time <> recounted.expected_all_time
    or mart_rows.activities_30d <> coalesce(recounted.expected_30d, 0)
    or mart_rows.days_since_last_activity is distinct from
        {{ dbt.datediff('cast(recounted.last_activity_at as date)', 'mart_rows.as_of_date', 'day') }}
{% endmacro %}

{#
    population_violations(mart): no row may belong to a lead that converted
    before as_of_date, or whose latest consent change strictly before as_of_date
    forbids ML processing, or that has no consent row before as_of_date at all
    (fail closed).
#}
{% macro population_violations(mart) %}
with mart_rows as (
    select lead_id, as_of_date from {{ mart }}
),

converted_before_as_of as (
    select distinct
        mart_rows.lead_id,
        mart_rows.as_of_date,
        'converted before as_of_date' as violation
    from mart_rows
    inner join {{ ref('stg_conversions') }} as conversions
        on conversions.lead_id = mart_rows.lead_id
        and conversions.converted_at < cast(mart_rows.as_of_date as {{ dbt.type_timestamp() }})
),

consent_changes_before_as_of as (
    select
        mart_rows.lead_id,
        mart_rows.as_of_date,
        consents.ml_processing_allowed,
        row_number() over (
            partition by mart_rows.lead_id, mart_rows.as_of_date
            order by consents.changed_at desc
        ) as recency_rank
    from mart_rows
    left join {{ ref('stg_consents') }} as consents
        on consents.lead_id = mart_rows.lead_id
        and consents.changed_at < cast(mart_rows.as_of_date as {{ dbt.type_timestamp() }})
),

not_consenting_at_as_of as (
    select
        lead_id,
        as_of_date,
        case
            when ml_processing_allowed is null then 'no consent row before as_of_date'
            else 'opted out of ML processing'
        end as violation
    from consent_changes_before_as_of
    where recency_rank = 1
        and (ml_processing_allowed is null or ml_processing_allowed = false)
)

select '{{ mart.identifier }}' as mart, violations.*
from (
    select * from converted_before_as_of
    union all
    select * from not_consenting_at_as_of
) as violations
{% endmacro %}
