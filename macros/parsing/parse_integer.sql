{#
    parse_integer(expr): a whole number as bigint, or null (points balances and deltas).

    clean_text, then: an optional sign (+ or -), the digits, optionally grouped by thousands
    with commas (1,234 and 1,234,567; a comma anywhere else, as in 12,34 or 1,2345, makes the
    value invalid rather than silently becoming 1234), and optionally a fraction of zeros only
    (1234.0 and 1234.00 are 1234). 1234.5, abc, 12e3, 1 234, .5 and 12. are null. More than 18
    significant digits (beyond any points balance, and the guard against bigint overflow) is
    null; leading zeros are allowed.
#}
{% macro parse_integer(expr) -%}
    {{ return(adapter.dispatch('parse_integer', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__parse_integer(expr) -%}
    (
        select
            case
                when integer_text.value ~ '^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:[.]0+)?$'
                    and length(ltrim(replace(split_part(integer_text.value, '.', 1), ',', ''), '+-0')) <= 18
                    then cast(replace(split_part(integer_text.value, '.', 1), ',', '') as bigint)
            end
        from (
            select {{ clean_text(expr) }} as value
            limit all offset 0
        ) as integer_text
    )
{%- endmacro %}
