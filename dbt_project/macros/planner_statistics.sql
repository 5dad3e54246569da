{#
    refresh_planner_statistics(): the post-hook of every model.

    Postgres plans joins from table statistics, and a table dbt has just created
    has none until autovacuum gets to it. The planner then guesses (1,200 rows
    for the one-row int_scoring_date), multiplies the guesses through the joins
    and sorts where it should hash: lead_snapshots took 85 s instead of 41 s on
    300,000 leads. Analysing each table as it is built keeps the plans sane.
    DuckDB needs nothing.
#}
{% macro refresh_planner_statistics() %}
    {%- if target.type == 'postgres' and model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{% endmacro %}


{#
    postgres_indexes(column_lists): the `indexes` config of an incremental model.

    Each run of an incremental model finds its changed rows by key and landing
    day (the delete of delete+insert, the versions of a re-landed day). Postgres
    reads the whole table for each of those without an index; with one, a day
    costs what the day holds. DuckDB scans columns fast enough, and an index
    there would cost memory on every insert: none.
#}
{% macro postgres_indexes(column_lists) %}
    {%- set indexes = [] -%}
    {%- if target.type == 'postgres' -%}
        {%- for columns in column_lists -%}
            {%- do indexes.append({'columns': columns}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(indexes) }}
{% endmacro %}
