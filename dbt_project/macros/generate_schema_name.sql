{#
    Models land in schemas named exactly like their layer (`staging`,
    `intermediate`, `marts`) instead of dbt's default `<target_schema>_<custom>`.
    The serving and training code reads `marts.lead_snapshots` /
    `marts.lead_features_current` by those fixed names, on every target.
    Models without a custom schema fall back to the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
