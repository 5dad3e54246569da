{#
    lead_features(spine_relation)

    THE feature definition. Called by lead_snapshots (training) and by
    lead_features_current (serving) so the two cannot drift apart.

    Input: a relation or CTE name with columns (lead_id, as_of_date DATE).
    Output: one row per input row: lead_id, as_of_date and every feature column.

    Point-in-time rule: as_of_date means that day at 00:00, so only events
    strictly before it are visible. Activity is read from the daily rollup
    int_lead_daily_activity; activity_date < as_of_date is exactly
    occurred_at < as_of_date 00:00, and a window of N days is the N whole days
    before as_of_date ([as_of_date - N, as_of_date)).

    Known-at rule: only what had landed before as_of_date is visible, i.e. a
    version with _landed_date < as_of_date <= _superseded_on. The daily run of
    landing day D scores as of D + 1, so it sees everything landed on D; a late
    delivery (landed today, occurred weeks ago) counts from its landing day on
    and changes no earlier snapshot. The same holds for the lead's attributes
    and its campaign: a CRM correction reaches only the snapshots after the day
    it landed, and a lead not landed by as_of_date has no row at all (no
    scoring run could have seen it).
#}
{% macro lead_features(spine_relation) %}
with feature_spine as (
    select
        lead_id,
        cast(as_of_date as date) as as_of_date
    from {{ spine_relation }}
),

activity_days_before_as_of as (
    select
        feature_spine.lead_id,
        feature_spine.as_of_date,
        -- 1 = the day before as_of_date, so "within the last N days" is days_ago <= N
        {{ dbt.datediff('daily.activity_date', 'feature_spine.as_of_date', 'day') }} as days_ago,
        daily.activities_total,
        {%- for activity_type in activity_types() %}
        daily.{{ activity_type }}_count{{ "," if not loop.last }}
        {%- endfor %}
    from feature_spine
    inner join {{ ref('int_lead_daily_activity') }} as daily
        on daily.lead_id = feature_spine.lead_id
        and daily.activity_date < feature_spine.as_of_date
        and {{ known_at('daily.landed_date', 'daily.superseded_on', 'feature_spine.as_of_date') }}
),

activity_features as (
    select
        lead_id,
        as_of_date,
        sum(case when days_ago <= 1 then activities_total else 0 end) as activities_1d,
        sum(case when days_ago <= 7 then activities_total else 0 end) as activities_7d,
        sum(case when days_ago <= 30 then activities_total else 0 end) as activities_30d,
        sum(activities_total) as activities_all_time,
        {%- for activity_type in activity_types() %}
        sum(case when days_ago <= 30 then {{ activity_type }}_count else 0 end) as {{ activity_type }}_30d,
        {%- endfor %}
        -- the daily rollup only has rows for days with at least one activity, one per landing day: a day whose
        -- activities landed on two days (a late delivery) is still one active day
        count(distinct case when days_ago <= 30 then days_ago end) as active_days_30d,
        min(days_ago) as days_since_last_activity
    from activity_days_before_as_of
    group by lead_id, as_of_date
)

select
    feature_spine.lead_id,
    feature_spine.as_of_date,

    -- numeric
    cast({{ dbt.datediff('leads.created_date', 'feature_spine.as_of_date', 'day') }} as {{ dbt.type_int() }}) as days_since_created,
    cast(coalesce(activity_features.activities_1d, 0) as {{ dbt.type_int() }}) as activities_1d,
    cast(coalesce(activity_features.activities_7d, 0) as {{ dbt.type_int() }}) as activities_7d,
    cast(coalesce(activity_features.activities_30d, 0) as {{ dbt.type_int() }}) as activities_30d,
    cast(coalesce(activity_features.activities_all_time, 0) as {{ dbt.type_int() }}) as activities_all_time,
    {%- for activity_type in activity_types() %}
    cast(coalesce(activity_features.{{ activity_type }}_30d, 0) as {{ dbt.type_int() }}) as {{ activity_type }}_30d,
    {%- endfor %}
    cast(coalesce(activity_features.active_days_30d, 0) as {{ dbt.type_int() }}) as active_days_30d,
    -- null (not 0) when the lead has no activity before as_of_date: "never" is not "today"
    cast(activity_features.days_since_last_activity as {{ dbt.type_int() }}) as days_since_last_activity,

    -- categorical
    leads.country,
    leads.industry,
    leads.company_size,
    leads.seniority,
    leads.lead_source,
    -- null when the lead has no campaign (see has_campaign)
    campaigns.channel as campaign_channel,

    -- boolean
    (leads.campaign_id is not null) as has_campaign

from feature_spine
inner join {{ ref('stg_lead_deliveries') }} as leads
    on leads.lead_id = feature_spine.lead_id
    and {{ known_at('leads._landed_date', 'leads._superseded_on', 'feature_spine.as_of_date') }}
left join {{ ref('stg_campaign_deliveries') }} as campaigns
    on campaigns.campaign_id = leads.campaign_id
    and {{ known_at('campaigns._landed_date', 'campaigns._superseded_on', 'feature_spine.as_of_date') }}
left join activity_features
    on activity_features.lead_id = feature_spine.lead_id
    and activity_features.as_of_date = feature_spine.as_of_date
{% endmacro %}
