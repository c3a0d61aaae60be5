{#
    parse_integer(expr, cleaned=false): a whole number as bigint, or null (points balances and
    deltas).

    clean_text, then: an optional sign (+ or -), the digits, optionally grouped by thousands
    with commas (1,234 and 1,234,567; a comma anywhere else, as in 12,34 or 1,2345, makes the
    value invalid rather than silently becoming 1234), and optionally a fraction of zeros only
    (1234.0 and 1234.00 are 1234). 1234.5, abc, 12e3, 1 234, .5 and 12. are null. More than 18
    significant digits (beyond any points balance, and the guard against bigint overflow) is
    null; leading zeros are allowed.
    cleaned=true: `expr` is already clean_text's output (see cleaned_value). Plain digits
    (-50, 1234) are answered by their own simple pattern before the general one (a pattern with
    `+` and a length check: PostgreSQL's matcher pays for every copy a counted repeat makes).
#}
{% macro parse_integer(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_integer', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_integer(expr, cleaned=false) -%}
    {%- set body -%}
        case
            when {v} ~ '^-?[0-9]+$' and length({v}) <= 18 then cast({v} as bigint)
            when {v} ~ '^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:[.]0+)?$'
                and length(ltrim(replace(split_part({v}, '.', 1), ',', ''), '+-0')) <= 18
                then cast(replace(split_part({v}, '.', 1), ',', '') as bigint)
        end
    {%- endset -%}
    {{ parse_on_cleaned(expr, cleaned, body, 'integer_cleaned') }}
{%- endmacro %}
