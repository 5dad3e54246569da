-- Training/serving parity. lead_features_current must have exactly the columns
-- of lead_snapshots minus the label / split columns, and a lead that has a
-- training snapshot on the scoring date itself must get identical feature
-- values (and be present) in lead_features_current. Both are built by the same
-- macros, so any row returned here means someone forked the logic.

{% set non_feature_snapshot_columns = ['lead_created_date', 'converted_within_30d', 'label_is_mature', 'label_window_end'] -%}
{%- set key_columns = ['lead_id', 'as_of_date'] -%}

{%- if execute -%}
    {%- set snapshot_columns = adapter.get_columns_in_relation(ref('lead_snapshots')) | map(attribute='name') | map('lower') | list -%}
    {%- set current_columns = adapter.get_columns_in_relation(ref('lead_features_current')) | map(attribute='name') | map('lower') | list -%}
{%- else -%}
    {%- set snapshot_columns = [] -%}
    {%- set current_columns = [] -%}
{%- endif -%}

{%- set expected_current_columns = snapshot_columns | reject('in', non_feature_snapshot_columns) | list -%}
{#- values are compared on the columns both tables have; missing / extra columns are reported by column_mismatches -#}
{%- set feature_columns = current_columns | reject('in', key_columns) | select('in', expected_current_columns) | list -%}

with column_mismatches as (
    {%- set mismatches = [] -%}
    {%- for column_name in expected_current_columns if column_name not in current_columns -%}
        {%- do mismatches.append("missing from lead_features_current: " ~ column_name) -%}
    {%- endfor -%}
    {%- for column_name in current_columns if column_name not in expected_current_columns -%}
        {%- do mismatches.append("not in lead_snapshots: " ~ column_name) -%}
    {%- endfor %}
    {%- if mismatches %}
    {%- for mismatch in mismatches %}
    select cast(null as {{ dbt.type_string() }}) as lead_id, '{{ mismatch }}' as problem {{ "union all" if not loop.last }}
    {%- endfor %}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as lead_id, cast(null as {{ dbt.type_string() }}) as problem
    where 1 = 0
    {%- endif %}
),

snapshots_on_scoring_date as (
    select snapshots.*
    from {{ ref('lead_snapshots') }} as snapshots
    inner join {{ ref('int_scoring_date') }} as scoring
        on snapshots.as_of_date = scoring.scoring_date
),

value_mismatches as (
    select
        snapshots.lead_id,
        case
            when current_features.lead_id is null then 'snapshot on scoring date but lead missing from lead_features_current'
            else 'feature values differ between lead_snapshots and lead_features_current'
        end as problem
    from snapshots_on_scoring_date as snapshots
    left join {{ ref('lead_features_current') }} as current_features
        on current_features.lead_id = snapshots.lead_id
        and current_features.as_of_date = snapshots.as_of_date
    where current_features.lead_id is null
    {%- for column_name in feature_columns %}
        or snapshots.{{ column_name }} is distinct from current_features.{{ column_name }}
    {%- endfor %}
)

select * from column_mismatches
union all
select * from value_mismatches
