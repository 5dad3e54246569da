{#
    delivery_versions(table_name, key_columns)

    The rows of raw.<table_name> with every key column present, one per key and
    landing day: what the warehouse knew about the key from that day on. Within
    a day the most recently loaded version wins (an ingestion retry of the day);
    across days the later landing day wins, whatever the load time, so that
    re-running an old landing partition cannot bring back a value a later day
    corrected.

    _superseded_on is the landing day of the key's next version (null for the
    current one): a version is what was known at as_of_date when
    _landed_date < as_of_date <= _superseded_on. One window, ordered newest
    first: the previous row in that order is the next later delivery, and a
    previous row of the same landing day means this row is an older load of it.
#}
{% macro delivery_versions(table_name, key_columns) %}
    select *
    from (
        select
            source_rows.*,
            lag(_landed_date) over (
                partition by {{ key_columns | join(', ') }}
                order by _landed_date desc, _loaded_at desc
            ) as _superseded_on
        from {{ source('raw', table_name) }} as source_rows
        where {% for column in key_columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
    ) as versions
    where _superseded_on is null or _superseded_on > _landed_date
{% endmacro %}


{#
    latest_delivery(table_name, key_columns)

    The current version of every key (see delivery_versions): the delivery of
    the latest landing day, its latest load within that day.
#}
{% macro latest_delivery(table_name, key_columns) %}
    select *
    from ({{ delivery_versions(table_name, key_columns) }}) as all_versions
    where _superseded_on is null
{% endmacro %}
