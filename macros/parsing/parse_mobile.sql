{#
    parse_mobile(expr, cleaned=false): a mainland mobile number, or null.

    From the raw text: clean_text (trim, missing literals, full-width digits and ＋ folded),
    then drop spaces (ASCII space, tab, U+00A0, U+3000), '-', '(' and ')'; any other
    character makes the value invalid. A leading +86, 0086 or 86 is dropped when 11 digits
    remain. Valid iff ^1[3-9][0-9]{9}$.
    13800138000, 138-0013-8000, +86 138 0013 8000, 8613800138000, (0086)13800138000 and
    １３８００１３８０００ give 13800138000; 1380013800, 00000000000, 138a0013800,
    12800138000 give null.

    cleaned=true: `expr` is already clean_text's output (see cleaned_value). The common case,
    eleven plain digits, is answered by a length check and one short pattern; only other values
    pay for translate.
#}
{% macro parse_mobile(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_mobile', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_mobile(expr, cleaned=false) -%}
    {%- set digits = "translate({v}, E' \\t\\u00a0\\u3000-()', '')" -%}
    {%- set body -%}
        case
            when length({v}) = 11 and {v} ~ '^1[3-9][0-9]+$' then {v}
            when {{ digits }} ~ '^(?:[+]86|0086|86)?1[3-9][0-9]{9}$'
                then right({{ digits }}, 11)
        end
    {%- endset -%}
    {{ parse_on_cleaned(expr, cleaned, body, 'mobile_cleaned') }}
{%- endmacro %}
