-- The scoring date: the single "today" that both marts are computed as of.
-- Either the `as_of_date` var ('YYYY-MM-DD') or, by default, the day after the
-- latest activity / lead creation date in the data (so that the last loaded
-- day is fully visible: as_of_date means that day at 00:00).
-- One row. Every other model reads the date from here (macro scoring_date()).

{%- set as_of_var = var('as_of_date', none) -%}
{%- if as_of_var is not none and (as_of_var | string | trim) != '' -%}
    {%- set as_of_text = as_of_var | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of_text) -%}
        {{ exceptions.raise_compiler_error("var 'as_of_date' must look like 'YYYY-MM-DD', got: " ~ as_of_text) }}
    {%- endif -%}
{%- else -%}
    {%- set as_of_text = none -%}
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
    {% if as_of_text is not none -%}
    cast('{{ as_of_text }}' as date) as scoring_date,
    cast('var' as {{ dbt.type_string() }}) as scoring_date_source,
    {%- else -%}
    {{ add_days('latest_data_date', 1) }} as scoring_date,
    cast('latest_data' as {{ dbt.type_string() }}) as scoring_date_source,
    {%- endif %}
    latest_data_date
from latest_data
