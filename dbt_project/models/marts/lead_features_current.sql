-- Serving table: one row per lead that is open at the scoring date (created
-- before it, at most lead_open_days old), not converted and consenting, with
-- exactly the feature columns of lead_snapshots, computed by the same
-- lead_features() macro. The scorer reads this table and nothing else.

{%- set lead_open_days = int_var('lead_open_days') %}

with scoring_date as (
    select scoring_date from {{ ref('int_scoring_date') }}
),

leads_with_age as (
    select
        leads.lead_id,
        scoring_date.scoring_date as as_of_date,
        {{ dbt.datediff('leads.created_date', 'scoring_date.scoring_date', 'day') }} as lead_age_days
    from {{ ref('stg_leads') }} as leads
    cross join scoring_date
),

-- age >= 1: the lead existed at 00:00 of the scoring date (created strictly before it)
open_leads as (
    select lead_id, as_of_date
    from leads_with_age
    where lead_age_days >= 1
        and lead_age_days <= {{ lead_open_days }}
),

eligible_leads as (
    {{ eligible_lead_dates('open_leads') }}
),

current_features as (
    {{ lead_features('eligible_leads') }}
)

select * from current_features
