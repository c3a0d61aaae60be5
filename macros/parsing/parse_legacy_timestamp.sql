{#
    parse_legacy_timestamp(expr): a legacy date or date-time as timestamptz, or null.

    Accepted forms, after clean_text (so full-width digits and padding are fine):
    - a date: YYYY-M-D, YYYY/M/D, YYYYMMDD, YYYY年M月D日, or day-first D/M/YYYY (a four-digit
      last part means day first); month and day have one or two digits (YYYYMMDD: two);
      the year has four digits, 0001-9999 (a real date of year 0001 is a date: a birthday
      that old is BIRTHDAY_OUT_OF_RANGE, a registration REGISTERED_BEFORE_LAUNCH, as for 1899;
      year 0000 does not exist in the Gregorian calendar, so 0000-01-01 is impossible);
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

    How: the value's fifth character (or its first slash) picks the one layout it can have; a
    pattern checks its shape (digits where digits belong, the time of day in range), then
    integer arithmetic checks the calendar (days_in_month, only for days past the 28th), so a
    value reaches the cast only when it is valid: the cast never sees an impossible date and
    never raises. Only a value that passed is rewritten (年月日 to dashes, day first to year
    first) and given the zone name when it has no offset. The layouts exclude one another, so
    a value whose shape matched and whose date is impossible is null without trying the others.
    (A single pattern that also admitted only real dates, calendar_date_regex, costs several
    times more per value: PostgreSQL builds the matcher's states anew for every value.)
    cleaned=true: `expr` is already clean_text's output (see cleaned_value); it is read many
    times, so pass a column.
#}
{% macro parse_legacy_timestamp(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_legacy_timestamp', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_legacy_timestamp(expr, cleaned=false) -%}
    {%- set time_of_day = '(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]+)?)?(?:Z|[+-](?:0[0-9]|1[0-4]):?[0-5][0-9])?)?' -%}
    {#- Every value that reaches a cast passed its pattern, so it is one of the accepted forms:
        it carries an offset iff it ends in Z or holds a + or a - after its first colon. -#}
    {%- set zone_suffix -%}
        case
            when right({v}, 1) = 'Z'
                or strpos({v}, '+') > 0
                or (strpos({v}, ':') > 0 and strpos(substr({v}, strpos({v}, ':')), '-') > 0)
                then ''
            else ' {{ var("legacy_timezone") }}'
        end
    {%- endset -%}
    {%- set body -%}
        case
            when substr({v}, 5, 1) = '-'
                and {v} ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}{{ time_of_day }}$'
                then case
                    when {{ legacy_date_is_real(
                        'left({v}, 4)',
                        "split_part({v}, '-', 2)",
                        "rtrim(left(split_part({v}, '-', 3), 2), ' T')"
                    ) }}
                        then cast({v} || {{ zone_suffix }} as timestamptz)
                end
            when substr({v}, 5, 1) = '/'
                and {v} ~ '^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}{{ time_of_day }}$'
                then case
                    when {{ legacy_date_is_real(
                        'left({v}, 4)',
                        "split_part({v}, '/', 2)",
                        "rtrim(left(split_part({v}, '/', 3), 2), ' T')"
                    ) }}
                        then cast({v} || {{ zone_suffix }} as timestamptz)
                end
            when substr({v}, 5, 1) = '年'
                and {v} ~ '^[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日{{ time_of_day }}$'
                then case
                    when {{ legacy_date_is_real(
                        'left({v}, 4)',
                        "split_part(split_part({v}, '年', 2), '月', 1)",
                        "split_part(split_part({v}, '月', 2), '日', 1)"
                    ) }}
                        then cast(translate({v}, '年月日', '--') || {{ zone_suffix }} as timestamptz)
                end
            when length({v}) = 10 and {v} ~ '^[0-9]+$'
                then to_timestamp(cast({v} as bigint))
            when {v} ~ '^[0-9]{8}{{ time_of_day }}$'
                then case
                    when {{ legacy_date_is_real(
                        'left({v}, 4)', 'substr({v}, 5, 2)', 'substr({v}, 7, 2)'
                    ) }}
                        then cast({v} || {{ zone_suffix }} as timestamptz)
                end
            when strpos({v}, '/') in (2, 3)
                and {v} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}{{ time_of_day }}$'
                then case
                    when {{ legacy_date_is_real(
                        "left(split_part({v}, '/', 3), 4)",
                        "split_part({v}, '/', 2)",
                        "split_part({v}, '/', 1)"
                    ) }}
                        then cast(
                            left(split_part({v}, '/', 3), 4)
                            || '-' || split_part({v}, '/', 2)
                            || '-' || split_part({v}, '/', 1)
                            || substr(split_part({v}, '/', 3), 5)
                            || {{ zone_suffix }}
                            as timestamptz
                        )
                end
        end
    {%- endset -%}
    {{ parse_on_cleaned(expr, cleaned, body, 'legacy_time') }}
{%- endmacro %}

{#
    legacy_date_is_real(year_text, month_text, day_text): a SQL condition, true when the three
    digit strings (already checked to be digits: one to four of them) name a real Gregorian
    date (year 1 or later). Days up to the 28th need no calendar; later days are checked with
    days_in_month.
#}
{% macro legacy_date_is_real(year_text, month_text, day_text) -%}
    cast({{ year_text }} as integer) >= 1
    and cast({{ month_text }} as integer) between 1 and 12
    and cast({{ day_text }} as integer) >= 1
    and (
        cast({{ day_text }} as integer) <= 28
        or cast({{ day_text }} as integer) <= {{ days_in_month(
            'cast(' ~ year_text ~ ' as integer)', 'cast(' ~ month_text ~ ' as integer)'
        ) }}
    )
{%- endmacro %}
