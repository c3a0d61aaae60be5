{#
    parse_money(expr): an amount of money in yuan as numeric(14,2), or null.

    clean_text, then: an optional sign and an optional currency sign ¥ (U+00A5) or ￥ (U+FFE5)
    in either order (-12.50, ¥-12.50, -¥12.50, ¥12.50, +3), the digits, optionally grouped by
    thousands with commas exactly as parse_integer, and at most two decimals. 1.005 is null,
    never rounded; so are 12., .5, 1,2345, 12,34, ¥ alone and -¥-1. A value too large for
    numeric(14,2) (more than 12 significant integer digits) is null instead of an overflow error.
#}
{% macro parse_money(expr) -%}
    {{ return(adapter.dispatch('parse_money', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__parse_money(expr) -%}
    (
        select
            case
                when money_text.value ~ '^(?:[+-]?[¥￥]?|[¥￥][+-])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:[.][0-9]{1,2})?$'
                    and length(ltrim(split_part(money_text.digits, '.', 1), '+-0')) <= 12
                    then cast(money_text.digits as numeric(14, 2))
            end
        from (
            select
                money_cleaned.value,
                translate(money_cleaned.value, '¥￥,', '') as digits
            from (
                select {{ clean_text(expr) }} as value
                limit all offset 0
            ) as money_cleaned
            limit all offset 0
        ) as money_text
    )
{%- endmacro %}
