{#
    The contract names the schemas exactly (staging, intermediate, marts, audit, pii,
    snapshots, mapping): a folder's custom schema is used as it is, not prefixed with the
    target schema as dbt does by default. Models without a custom schema land in the
    target's schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
