{#
    parse_money(expr, cleaned=false): an amount of money in yuan as numeric(14,2), or null.

    clean_text, then: an optional sign and an optional currency sign ¥ (U+00A5) or ￥ (U+FFE5)
    in either order (-12.50, ¥-12.50, -¥12.50, ¥12.50, +3), the digits, optionally grouped by
    thousands with commas exactly as parse_integer, and at most two decimals. 1.005 is null,
    never rounded; so are 12., .5, 1,2345, 12,34, ¥ alone and -¥-1. A value too large for
    numeric(14,2) (more than 12 significant integer digits) is null instead of an overflow error.
    cleaned=true: `expr` is already clean_text's output (see cleaned_value). A plain amount
    (-12.50, 1234) is answered by its own simple pattern before the general one (a pattern with
    `+` and a length check: PostgreSQL's matcher pays for every copy a counted repeat makes).
#}
{% macro parse_money(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_money', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_money(expr, cleaned=false) -%}
    {%- set digits = "translate({v}, '¥￥,', '')" -%}
    {%- set body -%}
        case
            when {v} ~ '^-?[0-9]+(?:[.][0-9][0-9]?)?$' and length(split_part({v}, '.', 1)) <= 12
                then cast({v} as numeric(14, 2))
            when {v} ~ '^(?:[+-]?[¥￥]?|[¥￥][+-])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:[.][0-9]{1,2})?$'
                and length(ltrim(split_part({{ digits }}, '.', 1), '+-0')) <= 12
                then cast({{ digits }} as numeric(14, 2))
        end
    {%- endset -%}
    {{ parse_on_cleaned(expr, cleaned, body, 'money_cleaned') }}
{%- endmacro %}
