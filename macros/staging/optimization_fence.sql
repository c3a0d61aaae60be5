{#
    optimization_fence(): ends a CTE's select so the database computes its columns once.

    A staging model parses each value once (CTE `parsed`) and then derives flags from the
    parsed columns (CTE `flagged`). PostgreSQL inlines CTEs, so without a fence every flag
    that reads a parsed column would run the (regex-heavy) parsing expression again. On
    PostgreSQL `offset 0` keeps the subquery from being flattened; it changes no result.
    The price: any query on the view computes every parsed column, so data tests belong on
    the materialized models downstream (the versions tables), not on the staging views.
#}
{% macro optimization_fence() -%}
    {{- return(adapter.dispatch('optimization_fence', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__optimization_fence() -%}
{%- endmacro %}

{% macro postgres__optimization_fence() -%}
    offset 0
{%- endmacro %}
