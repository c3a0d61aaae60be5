{#
    parse_mobile(expr): a mainland mobile number, or null.

    From the raw text: clean_text (trim, missing literals, full-width digits and ＋ folded),
    then drop spaces (ASCII space, tab, U+00A0, U+3000), '-', '(' and ')'; any other
    character makes the value invalid. A leading +86, 0086 or 86 is dropped when 11 digits
    remain. Valid iff ^1[3-9][0-9]{9}$.
    13800138000, 138-0013-8000, +86 138 0013 8000, 8613800138000, (0086)13800138000 and
    １３８００１３８０００ give 13800138000; 1380013800, 00000000000, 138a0013800,
    12800138000 give null.
#}
{% macro parse_mobile(expr) -%}
    {{ return(adapter.dispatch('parse_mobile', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__parse_mobile(expr) -%}
    (
        select
            case
                when mobile_digits.value ~ '^(?:[+]86|0086|86)?1[3-9][0-9]{9}$'
                    then right(mobile_digits.value, 11)
            end
        from (
            select translate({{ clean_text(expr) }}, E' \t\u00a0\u3000-()', '') as value
            limit all offset 0
        ) as mobile_digits
    )
{%- endmacro %}
