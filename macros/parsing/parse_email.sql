{#
    parse_email(expr): a lower-cased email address, or null.

    clean_text, lower-cased; valid iff ^[^@ ]+@[^@ ]+\.[^@ ]+$ (exactly one @, no space, a
    dot after the @). ' Zhang.Wei@Example.com ' gives zhang.wei@example.com.
#}
{% macro parse_email(expr) -%}
    {{ return(adapter.dispatch('parse_email', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__parse_email(expr) -%}
    (
        select
            case
                when email_lowered.value ~ '^[^@ ]+@[^@ ]+[.][^@ ]+$'
                    then email_lowered.value
            end
        from (
            select lower({{ clean_text(expr) }}) as value
            limit all offset 0
        ) as email_lowered
    )
{%- endmacro %}
