-- Population check, independent of eligible_lead_dates(): no row of either mart
-- may belong to a lead that converted before as_of_date, or whose latest consent
-- change strictly before as_of_date forbids ML processing, or that has no
-- consent row before as_of_date at all (fail closed).

with mart_rows as (
    select 'lead_snapshots' as mart, lead_id, as_of_date from {{ ref('lead_snapshots') }}
    union all
    select 'lead_features_current' as mart, lead_id, as_of_date from {{ ref('lead_features_current') }}
),

converted_before_as_of as (
    select distinct
        mart_rows.mart,
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
        mart_rows.mart,
        mart_rows.lead_id,
        mart_rows.as_of_date,
        consents.ml_processing_allowed,
        row_number() over (
            partition by mart_rows.mart, mart_rows.lead_id, mart_rows.as_of_date
            order by consents.changed_at desc
        ) as recency_rank
    from mart_rows
    left join {{ ref('stg_consents') }} as consents
        on consents.lead_id = mart_rows.lead_id
        and consents.changed_at < cast(mart_rows.as_of_date as {{ dbt.type_timestamp() }})
),

not_consenting_at_as_of as (
    select
        mart,
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

select * from converted_before_as_of
union all
select * from not_consenting_at_as_of
