{#
    holds_personal_identifier(expr): true when a free-form text holds something shaped like a
    personal identifier, so that the published mart withholds it:
    - a run of 7 or more digits once spaces, '-', '(', ')', '+' are dropped and full-width
      digits folded (a mobile in any of its legacy forms, a national ID, a landline number);
    - an email address (something@something.something).
    Null for a null text, else true or false. The member's own name is checked by the model,
    which knows it.
#}
{% macro holds_personal_identifier(expr) -%}
    {{- return(adapter.dispatch('holds_personal_identifier', 'member_migration')(expr)) -}}
{%- endmacro %}

{% macro default__holds_personal_identifier(expr) -%}
    (
        regexp_replace(
            translate({{ expr }}, '０１２３４５６７８９＋－（）　', '0123456789+-() '),
            '[[:space:]()+-]', '', 'g'
        ) ~ '[0-9]{7}'
        or {{ expr }} ~ '[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+'
    )
{%- endmacro %}
