-- The scoring date: the single "today" that both marts are computed as of.
-- The `as_of_date` var ('YYYY-MM-DD'); else LEAD_SCORING_AS_OF_DATE from the
-- environment, which is how the Dagster daily run pins it (a changed var makes
-- dbt re-parse the whole project, a changed environment variable only this
-- file); else the day after the latest activity / lead creation date in the
-- data (so that the last loaded day is fully visible: as_of_date means that
-- day at 00:00). One row. Every other model reads the date from here (macro scoring_date()).

{%- set as_of_env = env_var('LEAD_SCORING_AS_OF_DATE', '') | string | trim -%}
{%- set as_of_var = var('as_of_date', none) -%}
{%- set as_of_var = '' if as_of_var is none else as_of_var | string | trim -%}
{%- set as_of_source = 'var' if as_of_var != '' else ('environment' if as_of_env != '' else 'latest_data') -%}
{%- set as_of_text = as_of_var if as_of_var != '' else as_of_env -%}
{%- if as_of_text != '' and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of_text) -%}
    {{ exceptions.raise_compiler_error("as_of_date (" ~ as_of_source ~ ") must look like 'YYYY-MM-DD', got: " ~ as_of_text) }}
{%- endif %}

with latest_event_dates as (
    select max(created_date) as latest_date from {{ ref('stg_leads') }}
    union all
    select max(occurred_date) as latest_date from {{ ref('stg_activities') }}
),

latest_data as (
    select max(latest_date) as latest_data_date
    from latest_event_dates
)

select
    {% if as_of_text != '' -%}
    cast('{{ as_of_text }}' as date) as scoring_date,
    {%- else -%}
    {{ add_days('latest_data_date', 1) }} as scoring_date,
    {%- endif %}
    cast('{{ as_of_source }}' as {{ dbt.type_string() }}) as scoring_date_source,
    latest_data_date
from latest_data
