{#
    Row-level checks of a feature mart (lead_snapshots or lead_features_current),
    written independently of the lead_features() and eligible_lead_dates() macros.
    Each returns the offending rows; a singular test per mart calls it, so a
    daily run that rebuilds only lead_features_current tests only that mart
    (dbt's cautious indirect selection, see lead_scoring/defs/features.py).
#}

{#
    point_in_time_violations(mart): recount every feature of every row straight
    from the staging deliveries, with raw timestamps and landing days, and
    compare. Visible at as_of_date: an activity with occurred_at strictly before
    as_of_date 00:00 whose version landed before as_of_date and was not replaced
    by then; the lead's and its campaign's versions known at as_of_date alike.
    Any row returned means the feature SQL sees future events or late
    deliveries (leakage), loses past ones, or miscounts a window; its
    wrong_features column names the features that disagree.

    Written without lead_features(), int_lead_daily_activity or known_at(): the
    windows are timestamp ranges here ([as_of - N days, as_of)), day offsets
    there, so a wrong window bound or a wrong join in either shows up.
#}
{% macro point_in_time_violations(mart) %}
{%- set as_of_ts = 'cast(mart_rows.as_of_date as ' ~ dbt.type_timestamp() ~ ')' %}
{%- set windows = {'activities_1d': 1, 'activities_7d': 7, 'activities_30d': 30} %}
{%- set attributes = ['country', 'industry', 'company_size', 'seniority', 'lead_source'] %}
{#- the counts, 0 for a lead with no visible activity -#}
{%- set counts = ['activities_all_time'] + (windows.keys() | list) %}
{%- for activity_type in activity_types() %}{% do counts.append(activity_type ~ '_30d') %}{% endfor %}
{%- do counts.append('active_days_30d') %}
with mart_rows as (
    select * from {{ mart }}
),

visible_activities as (
    select mart_rows.lead_id, mart_rows.as_of_date, activities.activity_id, activities.activity_type, activities.occurred_at
    from mart_rows
    inner join {{ ref('stg_activity_deliveries') }} as activities
        on activities.lead_id = mart_rows.lead_id
        and activities.occurred_at < {{ as_of_ts }}
        and activities._landed_date < mart_rows.as_of_date
        and (activities._superseded_on is null or mart_rows.as_of_date <= activities._superseded_on)
),

recounted_activities as (
    select
        lead_id,
        as_of_date,
        count(*) as activities_all_time,
        {%- for feature, days in windows.items() %}
        sum(case when occurred_at >= cast({{ dbt.dateadd('day', -days, 'as_of_date') }} as {{ dbt.type_timestamp() }}) then 1 else 0 end) as {{ feature }},
        {%- endfor %}
        {%- for activity_type in activity_types() %}
        sum(case when activity_type = '{{ activity_type }}'
                  and occurred_at >= cast({{ dbt.dateadd('day', -30, 'as_of_date') }} as {{ dbt.type_timestamp() }}) then 1 else 0 end) as {{ activity_type }}_30d,
        {%- endfor %}
        count(distinct case when occurred_at >= cast({{ dbt.dateadd('day', -30, 'as_of_date') }} as {{ dbt.type_timestamp() }})
                            then cast(occurred_at as date) end) as active_days_30d,
        {{ dbt.datediff('cast(max(occurred_at) as date)', 'as_of_date', 'day') }} as days_since_last_activity
    from visible_activities
    group by lead_id, as_of_date
),

known_leads as (
    select
        mart_rows.lead_id,
        mart_rows.as_of_date,
        {{ dbt.datediff('cast(leads.created_at as date)', 'mart_rows.as_of_date', 'day') }} as days_since_created,
        {%- for attribute in attributes %}
        leads.{{ attribute }},
        {%- endfor %}
        leads.campaign_id,
        campaigns.channel as campaign_channel
    from mart_rows
    inner join {{ ref('stg_lead_deliveries') }} as leads
        on leads.lead_id = mart_rows.lead_id
        and leads._landed_date < mart_rows.as_of_date
        and (leads._superseded_on is null or mart_rows.as_of_date <= leads._superseded_on)
    left join {{ ref('stg_campaign_deliveries') }} as campaigns
        on campaigns.campaign_id = leads.campaign_id
        and campaigns._landed_date < mart_rows.as_of_date
        and (campaigns._superseded_on is null or mart_rows.as_of_date <= campaigns._superseded_on)
),

compared as (
    select
        mart_rows.lead_id,
        mart_rows.as_of_date,
        concat(
            case when known_leads.lead_id is null then 'lead_not_known_at_as_of_date ' else '' end,
            {%- for feature in counts %}
            case when mart_rows.{{ feature }} is distinct from coalesce(recounted_activities.{{ feature }}, 0) then '{{ feature }} ' else '' end,
            {%- endfor %}
            case when mart_rows.days_since_last_activity is distinct from recounted_activities.days_since_last_activity then 'days_since_last_activity ' else '' end,
            case when mart_rows.days_since_created is distinct from known_leads.days_since_created then 'days_since_created ' else '' end,
            {%- for attribute in attributes %}
            case when mart_rows.{{ attribute }} is distinct from known_leads.{{ attribute }} then '{{ attribute }} ' else '' end,
            {%- endfor %}
            case when mart_rows.has_campaign is distinct from (known_leads.campaign_id is not null) then 'has_campaign ' else '' end,
            case when mart_rows.campaign_channel is distinct from known_leads.campaign_channel then 'campaign_channel' else '' end
        ) as wrong_features
    from mart_rows
    left join recounted_activities
        on recounted_activities.lead_id = mart_rows.lead_id
        and recounted_activities.as_of_date = mart_rows.as_of_date
    left join known_leads
        on known_leads.lead_id = mart_rows.lead_id
        and known_leads.as_of_date = mart_rows.as_of_date
)

select '{{ mart.identifier }}' as mart, lead_id, as_of_date, trim(wrong_features) as wrong_features
from compared
where wrong_features <> ''
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
