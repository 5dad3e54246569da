{#
    delivery_versions(table_name, key_columns, columns=none)

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

    In an incremental model (delete+insert on the key) only the keys of the
    changed landing days are recomputed, with every version of each, so the
    table equals a full rebuild: a re-landed day re-dates its keys' other
    versions too.

    columns: the raw columns to read (all of them when none). stg_lead_deliveries
    names its own, so that the personal-data columns of raw.leads are never read
    and a role without the privilege on them can run every model (see
    lead_scoring/warehouse/postgres_roles.py).
#}
{% macro delivery_versions(table_name, key_columns, columns=none) %}
    {%- set raw = source('raw', table_name) -%}
    {%- set keys = key_columns | join(', ') -%}
    {%- if is_incremental() %}
    -- Only the keys that a changed landing day holds now or held before, each with
    -- all its versions. A key with no version left comes out as a row of nulls
    -- (no _landed_date), which the model's drop_tombstones post-hook deletes.
    with changed_days as (
        {{ changed_landing_days(raw) }}
    ),

    changed_keys as (
        select {{ keys }} from {{ raw }}
        where _landed_date in (select landed_date from changed_days)
            and {{ _all_present(key_columns) }}
        union
        select {{ keys }} from {{ this }}
        where _landed_date in (select landed_date from changed_days)
    ),

    changed_rows as (
        select {{ _source_columns(columns) }}
        from {{ raw }} as source_rows
        inner join changed_keys
            on {% for column in key_columns %}changed_keys.{{ column }} = source_rows.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
    )

    select *
    from changed_keys
    left join ({{ _versions('changed_rows', key_columns) }}) as versions using ({{ keys }})
    {%- else %}
    {{ _versions(raw, key_columns, columns) }}
    {%- endif %}
{% endmacro %}


{% macro _source_columns(columns) -%}
    {%- if columns is none -%}
    source_rows.*
    {%- else -%}
    {% for column in columns + ['_landed_date', '_loaded_at'] %}source_rows.{{ adapter.quote(column) }}{% if not loop.last %}, {% endif %}{% endfor %}
    {%- endif -%}
{%- endmacro %}


{% macro _versions(relation, key_columns, columns=none) %}
    select *
    from (
        select
            {{ _source_columns(columns) }},
            lag(_landed_date) over (
                partition by {{ key_columns | join(', ') }}
                order by _landed_date desc, _loaded_at desc
            ) as _superseded_on
        from {{ relation }} as source_rows
        where {{ _all_present(key_columns) }}
    ) as versions
    where _superseded_on is null or _superseded_on > _landed_date
{% endmacro %}


{% macro _all_present(key_columns) -%}
    {% for column in key_columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
{%- endmacro %}


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



{#
    changed_landing_days(input, landed_column='_landed_date')

    The landing days whose rows in `input` differ from what this incremental
    model last read: days loaded since its newest _loaded_at (a new day, a
    re-landed one), and days it holds that `input` no longer has (re-landed
    empty). Rows are only ever written with their load time, so a day that
    changed has a newer _loaded_at; a row edited in place without one is seen
    after `dbt build --full-refresh`.
#}
{% macro changed_landing_days(input, landed_column='_landed_date') %}
    select _landed_date as landed_date
    from {{ input }}
    where _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
    union
    select built_days.landed_date
    from (select distinct {{ landed_column }} as landed_date from {{ this }}) as built_days
    where built_days.landed_date is not null
        and not exists (select 1 from {{ input }} as current_rows where current_rows._landed_date = built_days.landed_date)
{% endmacro %}


{#
    drop_tombstones(never_null_column='_landed_date'): post-hook of the incremental
    models that recompute a key no longer in their input as a row of nulls (see
    delivery_versions); never_null_column is one that every real row has.
#}
{% macro drop_tombstones(never_null_column='_landed_date') %}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ never_null_column }} is null
    {%- endif -%}
{% endmacro %}
