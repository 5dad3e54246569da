{#
    Fails for every combination of `combination_of_columns` that occurs more
    than once in `model`. Our own replacement for dbt_utils' test of the same
    name (no dbt packages on this project). Portable SQL: plain GROUP BY/HAVING.

    Usage:
      data_tests:
        - unique_combination_of_columns:
            arguments:
              combination_of_columns: [lead_id, as_of_date]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set column_list = combination_of_columns | join(', ') -%}

with duplicated_combinations as (
    select
        {{ column_list }},
        count(*) as n_rows
    from {{ model }}
    group by {{ column_list }}
    having count(*) > 1
)

select * from duplicated_combinations

{% endtest %}
