{#
    parse_email(expr, cleaned=false): a lower-cased email address, or null.

    clean_text, lower-cased; valid iff ^[^@ ]+@[^@ ]+\.[^@ ]+$ (exactly one @, no space, a
    dot after the @). ' Zhang.Wei@Example.com ' gives zhang.wei@example.com.
    cleaned=true: `expr` is already clean_text's output (see cleaned_value).
#}
{% macro parse_email(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_email', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_email(expr, cleaned=false) -%}
    {%- set body -%}
        case
            when lower({v}) ~ '^[^@ ]+@[^@ ]+[.][^@ ]+$'
                then lower({v})
        end
    {%- endset -%}
    {{ parse_on_cleaned(expr, cleaned, body, 'email_cleaned') }}
{%- endmacro %}
