{#
    parse_legacy_timestamp(expr): a legacy date or date-time as timestamptz, or null.

    Accepted forms, after clean_text (so full-width digits and padding are fine):
    - a date: YYYY-M-D, YYYY/M/D, YYYYMMDD, YYYY年M月D日, or day-first D/M/YYYY (a four-digit
      last part means day first); month and day have one or two digits (YYYYMMDD: two);
      the year is 1000-9999;
    - each optionally followed by one space or a `T` and a time H:MM or H:MM:SS (hour one or
      two digits 0-23, minutes and seconds two digits 00-59, seconds may carry a fraction of
      any length, rounded to the microsecond);
    - after a time only, optionally an offset written right after it: Z, +HH:MM or +HHMM
      (also negative; hours 00-14, minutes 00-59);
    - or exactly 10 digits: Unix epoch seconds.
    A value without an offset is local time in var('legacy_timezone') (Etc/GMT-8, Beijing
    time; a date alone is its midnight). Anything else is null: 2019.03.01, a 9-, 11- or
    13-digit number, 24:30, 12:60, hour 24, mixed separators (1990-1/5), a space before the
    offset, +08 without minutes, lower-case t or z, and every impossible date (1990-02-30,
    2019-02-29, 0000-00-00, month 13).

    How: the cleaned value is computed once per row in a one-row subquery; its fifth character
    picks the one layout whose pattern it must match, and that pattern admits only real dates
    and times (calendar_date_regex), so a value reaches the cast only when it is valid: the
    cast never sees an impossible date and never raises. Only a value that passed is rewritten
    (年月日 to dashes, day first to year first) and given the zone name when it has no offset.
#}
{% macro parse_legacy_timestamp(expr) -%}
    {{ return(adapter.dispatch('parse_legacy_timestamp', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__parse_legacy_timestamp(expr) -%}
    {%- set time_of_day = '(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]+)?)?(?:Z|[+-](?:0[0-9]|1[0-4]):?[0-5][0-9])?)?' -%}
    {%- set cleaned = 'legacy_time.cleaned' -%}
    {#- Every value that reaches a cast passed its pattern, so it is one of the accepted forms:
        it carries an offset iff it ends in Z or holds a + or a - after its first colon. -#}
    {%- set zone_suffix -%}
        case
            when right({{ cleaned }}, 1) = 'Z'
                or strpos({{ cleaned }}, '+') > 0
                or (strpos({{ cleaned }}, ':') > 0 and strpos(substr({{ cleaned }}, strpos({{ cleaned }}, ':')), '-') > 0)
                then ''
            else ' {{ var("legacy_timezone") }}'
        end
    {%- endset -%}
    (
        select
            case
                when substr({{ cleaned }}, 5, 1) = '-'
                    and {{ cleaned }} ~ '^{{ calendar_date_regex("Y-M-D") ~ time_of_day }}$'
                    then cast({{ cleaned }} || {{ zone_suffix }} as timestamptz)
                when substr({{ cleaned }}, 5, 1) = '/'
                    and {{ cleaned }} ~ '^{{ calendar_date_regex("Y/M/D") ~ time_of_day }}$'
                    then cast({{ cleaned }} || {{ zone_suffix }} as timestamptz)
                when substr({{ cleaned }}, 5, 1) = '年'
                    and {{ cleaned }} ~ '^{{ calendar_date_regex("Y年M月D日") ~ time_of_day }}$'
                    then cast(translate({{ cleaned }}, '年月日', '--') || {{ zone_suffix }} as timestamptz)
                when length({{ cleaned }}) = 10 and {{ cleaned }} ~ '^[0-9]+$'
                    then to_timestamp(cast({{ cleaned }} as bigint))
                when {{ cleaned }} ~ '^{{ calendar_date_regex("YMD", zero_padded=true) ~ time_of_day }}$'
                    then cast({{ cleaned }} || {{ zone_suffix }} as timestamptz)
                when strpos({{ cleaned }}, '/') in (2, 3)
                    and {{ cleaned }} ~ '^{{ calendar_date_regex("D/M/Y") ~ time_of_day }}$'
                    then cast(
                        left(split_part({{ cleaned }}, '/', 3), 4)
                        || '-' || split_part({{ cleaned }}, '/', 2)
                        || '-' || split_part({{ cleaned }}, '/', 1)
                        || substr(split_part({{ cleaned }}, '/', 3), 5)
                        || {{ zone_suffix }}
                        as timestamptz
                    )
            end
        from (
            select {{ clean_text(expr) }} as cleaned
            limit all offset 0
        ) as legacy_time
    )
{%- endmacro %}
