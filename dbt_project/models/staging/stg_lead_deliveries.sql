-- Every version of every lead, one per landing day that delivered it (see macro
-- delivery_versions), PII removed. A CRM correction of an attribute lands as a
-- new version: the features of a snapshot read the version known at its
-- as_of_date, so a value entered after the outcome cannot reach earlier
-- snapshots. email, full_name, phone and company are identifiers, not
-- features: not even read (read_columns), so the pipeline's Postgres role
-- needs no privilege on them.

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='lead_id',
          indexes=postgres_indexes([['lead_id'], ['_landed_date']]),
          on_schema_change='fail', post_hook="{{ drop_tombstones() }}") }}

{#- every column of raw.leads but the personal ones (email, full_name, phone, company) -#}
{%- set read_columns = ['lead_id', 'created_at', 'country', 'industry', 'company_size', 'job_title', 'seniority',
                        'lead_source', 'campaign_id'] %}

with versions as (
    {{ delivery_versions('leads', ['lead_id'], read_columns) }}
)

select
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(created_at as date) as created_date,
    -- country codes are conventionally upper case; every other category is lower case
    nullif(upper(trim(country)), '') as country,
    {{ clean_category('industry') }} as industry,
    {{ clean_category('company_size') }} as company_size,
    nullif(trim(job_title), '') as job_title,
    {{ clean_category('seniority') }} as seniority,
    {{ clean_category('lead_source') }} as lead_source,
    nullif(trim(campaign_id), '') as campaign_id,
    _landed_date,
    _loaded_at,
    _superseded_on
from versions
