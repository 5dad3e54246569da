{#
    latest_delivery(table_name, key_columns)

    The rows of raw.<table_name> with every key column present, one per key:
    when a row is delivered again (an ingestion retry, a CRM correction) the
    most recently loaded version wins. Every staging model starts here.
#}
{% macro latest_delivery(table_name, key_columns) %}
    select *
    from (
        select
            source_rows.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _loaded_at desc, _landed_date desc
            ) as delivery_rank
        from {{ source('raw', table_name) }} as source_rows
        where {% for column in key_columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
    ) as ranked_deliveries
    where delivery_rank = 1
{% endmacro %}
