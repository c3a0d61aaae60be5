{#
    parse_national_id(expr): a mainland resident ID number (身份证号) as its 18-character form,
    or null.

    clean_text, then a lower-case x is upper-cased. Accepted shapes: 17 digits and a check
    character (a digit or X), or the old 15-digit form, which becomes 18 characters: 19 is
    inserted after the sixth digit and the check character appended. The value is valid iff
    - its check character matches GB 11643-1999: the 17 digits weighted by
      7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, summed, modulo 11, index into 10X98765432
      (a converted 15-digit ID gets the computed one, so only its birth date can fail);
    - its embedded birth date (characters 7-14, YYYYMMDD) is a real date between 1900-01-01
      and the as-of date (as_of_date()) inclusive.
    Anything else (wrong length, letters, wrong check character, 19900230, a birth date after
    the as-of date) is null.

    How: the 17-digit body and the given check character are computed once per row in a
    one-row subquery (limit all offset 0 is an optimisation fence: it keeps PostgreSQL from
    inlining the body back into every reference). The 17-term weighted sum, written out by
    Jinja, and the calendar check (days_in_month) are integer arithmetic on the body: no cast
    or make_date ever sees an impossible value, so nothing raises. The sum runs once for an
    18-character ID (the output keeps the given check character, which then equals it).
    cleaned=true: `expr` is already clean_text's output (see cleaned_value).
#}
{% macro parse_national_id(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_national_id', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_national_id(expr, cleaned=false) -%}
    {%- set weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] -%}
    {%- set latest_birth = as_of_date_value() | replace('-', '') -%}
    {%- set id_value = "replace(" ~ cleaned_value(expr, cleaned) ~ ", 'x', 'X')" -%}
    {%- set birth_ymd = 'cast(substr(id_body.body, 7, 8) as integer)' -%}
    {%- set computed_check -%}
        substr(
            '10X98765432',
            cast(mod(
                {%- for weight in weights %}
                mod(cast(id_body.body as bigint) / {{ 10 ** (17 - loop.index) }}, 10) * {{ weight }}{{ ' +' if not loop.last }}
                {%- endfor %}
            , 11) as integer) + 1,
            1
        )
    {%- endset -%}
    (
        select
            case
                when {{ birth_ymd }} between 19000101 and {{ latest_birth }}
                    and mod({{ birth_ymd }} / 100, 100) between 1 and 12
                    and mod({{ birth_ymd }}, 100) between 1 and {{ days_in_month(
                        birth_ymd ~ ' / 10000', 'mod(' ~ birth_ymd ~ ' / 100, 100)'
                    ) | indent(20) }}
                    and (id_body.given_check is null or id_body.given_check = {{ computed_check | indent(20) }})
                    then id_body.body || coalesce(id_body.given_check, {{ computed_check | indent(20) }})
            end
        from (
            select
                case
                    when length({{ id_value }}) = 18 and {{ id_value }} ~ '^[0-9]+[0-9X]$'
                        then left({{ id_value }}, 17)
                    when length({{ id_value }}) = 15 and {{ id_value }} ~ '^[0-9]+$'
                        then left({{ id_value }}, 6) || '19' || right({{ id_value }}, 9)
                end as body,
                case
                    when length({{ id_value }}) = 18 then right({{ id_value }}, 1)
                end as given_check
            limit all offset 0
        ) as id_body
    )
{%- endmacro %}

{#
    national_id_gender(id_expr): M when the 17th character of an 18-character ID is odd, F when
    it is even, null when there is none. Pass an ID already validated by parse_national_id
    (typically its column), not raw text.
#}
{% macro national_id_gender(id_expr) -%}
    {{ return(adapter.dispatch('national_id_gender', 'member_migration')(id_expr)) }}
{%- endmacro %}

{% macro postgres__national_id_gender(id_expr) -%}
    case
        when substr({{ id_expr }}, 17, 1) in ('1', '3', '5', '7', '9') then 'M'
        when substr({{ id_expr }}, 17, 1) in ('0', '2', '4', '6', '8') then 'F'
    end
{%- endmacro %}

{#
    national_id_birthday(id_expr): the birth date embedded in an 18-character ID (characters
    7-14, YYYYMMDD) as a date; null when the value does not hold a real date there, so it never
    raises. Pass an ID already validated by parse_national_id.
#}
{% macro national_id_birthday(id_expr) -%}
    {{ return(adapter.dispatch('national_id_birthday', 'member_migration')(id_expr)) }}
{%- endmacro %}

{% macro postgres__national_id_birthday(id_expr) -%}
    case
        when {{ id_expr }} ~ '^[0-9]{6}{{ calendar_date_regex("YMD", zero_padded=true) }}[0-9]{3}[0-9X]$'
            then to_date(substr({{ id_expr }}, 7, 8), 'YYYYMMDD')
    end
{%- endmacro %}
