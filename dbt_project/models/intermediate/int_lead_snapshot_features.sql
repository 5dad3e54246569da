-- The features of every training snapshot, before the rules that read the
-- present (eligibility, labels; see lead_snapshots): one row per spine row of a
-- lead that had landed by its as_of_date and has not withdrawn consent.
--
-- Incremental by as-of date. A snapshot's features read only what had landed
-- before its as_of_date (lead_features' known-at rule), so a landing day L
-- changes no snapshot on or before L. A run recomputes:
--   * every snapshot after the earliest landing day loaded since the last run
--     (on time data: the new scoring date's snapshots only);
--   * every snapshot that should be here and is not, or is here and should not
--     be: a lead that withdrew or consents again, a creation date a CRM
--     corrected (its snapshot days move), a scoring date moved back.
-- A recomputed key that is no longer a snapshot comes out as a row of nulls,
-- deleted by drop_tombstones.
--
-- _loaded_at is the newest load of the landing days a snapshot could see, so
-- its maximum is when this table last caught up with the ingestion log, and a
-- full refresh writes the same value on every row.

{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key=['lead_id', 'as_of_date'],
          indexes=postgres_indexes([['lead_id', 'as_of_date']]),
          on_schema_change='fail', post_hook="{{ drop_tombstones('days_since_created') }}") }}

{%- set load_log = source('ingestion', 'load_stats') %}
{#- the sources whose landing days the features read: consents and conversions only decide eligibility and labels -#}
{%- set feature_sources = "('leads', 'activities', 'campaigns')" %}

with first_landings as (
    select lead_id, min(_landed_date) as first_landed_date
    from {{ ref('stg_lead_deliveries') }}
    group by lead_id
),

-- a snapshot before the lead's first landing has no features: no run could have seen the lead
snapshots as (
    select spine.lead_id, spine.as_of_date
    from {{ ref('int_lead_snapshot_spine') }} as spine
    inner join first_landings
        on first_landings.lead_id = spine.lead_id
        and first_landings.first_landed_date < spine.as_of_date
    where not exists (
        select 1 from ({{ withdrawn_leads() }}) as withdrawn where withdrawn.lead_id = spine.lead_id
    )
),

{%- if is_incremental() %}

loads_since_last_run as (
    select min(_landed_date) as earliest_landed_date
    from {{ load_log }}
    where source in {{ feature_sources }}
        and _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
),

recomputed as (
    select lead_id, as_of_date
    from snapshots
    where as_of_date > (select earliest_landed_date from loads_since_last_run)
    union
    select coalesce(snapshots.lead_id, built.lead_id), coalesce(snapshots.as_of_date, built.as_of_date)
    from snapshots
    full outer join {{ this }} as built
        on built.lead_id = snapshots.lead_id
        and built.as_of_date = snapshots.as_of_date
    where snapshots.lead_id is null or built.lead_id is null
),

feature_spine as (
    select snapshots.lead_id, snapshots.as_of_date
    from snapshots
    inner join recomputed
        on recomputed.lead_id = snapshots.lead_id
        and recomputed.as_of_date = snapshots.as_of_date
),
{%- else %}

feature_spine as (
    select lead_id, as_of_date from snapshots
),
{%- endif %}

visible_loads as (
    select snapshot_days.as_of_date, max(loads._loaded_at) as _loaded_at
    from (select distinct as_of_date from feature_spine) as snapshot_days
    inner join {{ load_log }} as loads
        on loads._landed_date < snapshot_days.as_of_date
        and loads.source in {{ feature_sources }}
    group by snapshot_days.as_of_date
),

snapshot_features as (
    {{ lead_features('feature_spine') }}
)

select snapshot_features.*, visible_loads._loaded_at
from snapshot_features
inner join visible_loads
    on visible_loads.as_of_date = snapshot_features.as_of_date
{%- if is_incremental() %}
union all
-- a recomputed key that is no longer a snapshot: its tombstone
{%- set value_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | reject('in', ['lead_id', 'as_of_date']) %}
select recomputed.lead_id, recomputed.as_of_date{% for column in value_columns %}, null as {{ adapter.quote(column) }}{% endfor %}
from recomputed
where not exists (
    select 1 from feature_spine
    where feature_spine.lead_id = recomputed.lead_id and feature_spine.as_of_date = recomputed.as_of_date
)
{%- endif %}
