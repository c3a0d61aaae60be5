{#
    clean_code(expr, case='upper'): a code looked up in a mapping seed (status, gender,
    tier_name, level, member_level, change_type, order_status, coupon_status, ...).

    clean_text, then letters upper-cased (case='upper', the default) or lower-cased
    (case='lower', for the codes the contract spells in lower case: paid, unused, male).
    Chinese codes (男, 金卡, 积分获得) pass through unchanged.
#}
{% macro clean_code(expr, case='upper') -%}
    {{ return(adapter.dispatch('clean_code', 'member_migration')(expr, case)) }}
{%- endmacro %}

{% macro postgres__clean_code(expr, case='upper') -%}
    {%- if case == 'upper' -%}
        upper({{ clean_text(expr) }})
    {%- elif case == 'lower' -%}
        lower({{ clean_text(expr) }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("clean_code: case must be 'upper' or 'lower', got '" ~ case ~ "'") }}
    {%- endif -%}
{%- endmacro %}
