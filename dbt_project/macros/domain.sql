{#
    Domain constants shared by staging, intermediate and the feature macro.
    Kept in one place so a new activity type is added once, not in five models.
    (YAML tests cannot call macros, so the accepted_values lists in the
    schema files repeat these values; keep them in sync with
    lead_scoring/simulator/schema.py.)
#}

{% macro activity_types() -%}
    {{ return([
        'page_view',
        'pricing_page_view',
        'email_open',
        'email_click',
        'form_submit',
        'webinar_attended',
        'demo_requested',
        'chat_started',
    ]) }}
{%- endmacro %}


{#
    Integer project variables can arrive as strings from `--vars`; normalise
    them once and fail loudly on nonsense instead of producing an empty spine.
#}
{% macro int_var(name) -%}
    {%- set raw_value = var(name) -%}
    {%- set value = raw_value | int(-1) -%}
    {%- if value < 1 -%}
        {{ exceptions.raise_compiler_error("var '" ~ name ~ "' must be a positive integer, got: " ~ raw_value) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}


{#
    Categorical cleaning used by staging: trim, lower-case, empty string -> null.
#}
{% macro clean_category(column_name) -%}
    nullif(lower(trim({{ column_name }})), '')
{%- endmacro %}


{#
    A DATE expression as a TIMESTAMP at 00:00 of that day. `as_of_date` means
    "that day at midnight", so every point-in-time comparison against an event
    timestamp goes through this.
#}
{% macro day_start(date_expression) -%}
    cast({{ date_expression }} as {{ dbt.type_timestamp() }})
{%- endmacro %}


{#
    date + n days, returned as a DATE on every adapter (dbt.dateadd returns a
    timestamp on DuckDB and Postgres when given a date).
#}
{% macro add_days(date_expression, n_days) -%}
    cast({{ dbt.dateadd('day', n_days, date_expression) }} as date)
{%- endmacro %}


{#
    The scoring date as a scalar SQL expression. Always read from
    int_scoring_date so the var-or-default rule lives in exactly one model.
#}
{% macro scoring_date() -%}
    (select scoring_date from {{ ref('int_scoring_date') }})
{%- endmacro %}


{#
    known_at(landed_date, superseded_on, as_of_date): the delivery version was
    the one known at as_of_date 00:00. It landed on an earlier day (the whole
    landing day is in by the next midnight) and no later version had landed by
    then (one landing on as_of_date itself is not yet known).
#}
{% macro known_at(landed_date, superseded_on, as_of_date) -%}
    ({{ landed_date }} < {{ as_of_date }} and ({{ superseded_on }} is null or {{ superseded_on }} >= {{ as_of_date }}))
{%- endmacro %}
