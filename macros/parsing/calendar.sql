{#
    The Gregorian calendar, for telling real dates from impossible ones without ever letting
    PostgreSQL raise: calendar_date_regex (a pattern) and days_in_month (arithmetic).
#}

{#
    calendar_date_regex(layout='Y-M-D', zero_padded=false): a regular-expression fragment
    (PostgreSQL ARE, no anchors, no capturing groups) matching exactly the real Gregorian
    dates of the years 1000-9999 written in `layout`, where Y, M and D stand for the year,
    month and day and every other character is literal: 'Y-M-D', 'Y/M/D', 'Y年M月D日',
    'YMD' (with zero_padded=true: YYYYMMDD), 'D/M/Y' (day first).

    It is how the parsing macros tell 1990-02-30, 1900-02-29, 2019-02-29, month 13 or day 0
    from a real date without calling make_date or a cast on an impossible date (those raise an
    error in PostgreSQL instead of returning null): day 29 only outside February or in a leap
    year (divisible by 4, and centuries only when divisible by 400), day 30 outside February,
    day 31 only in January, March, May, July, August, October and December.

    zero_padded=false accepts one- or two-digit months and days (1990-1-5, 1990-01-05);
    zero_padded=true requires two digits. The layout's literal characters must not be regex
    metacharacters (- / 年 月 日 and the empty separator are fine).
#}
{% macro calendar_date_regex(layout='Y-M-D', zero_padded=false) -%}
    {%- set z = '0' if zero_padded else '0?' -%}
    {%- set any_year = '[1-9][0-9]{3}' -%}
    {%- set leap_year = '(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)' -%}
    {%- set alternatives = [
        [any_year, '(?:' ~ z ~ '[1-9]|1[0-2])', '(?:' ~ z ~ '[1-9]|1[0-9]|2[0-8])'],
        [any_year, '(?:' ~ z ~ '[13-9]|1[0-2])', '(?:29|30)'],
        [any_year, '(?:' ~ z ~ '[13578]|1[02])', '31'],
        [leap_year, z ~ '2', '29'],
    ] -%}
    {%- set rendered = [] -%}
    {%- for year, month, day in alternatives -%}
        {%- do rendered.append(layout | replace('Y', '{Y}') | replace('M', '{M}') | replace('D', '{D}')
            | replace('{Y}', year) | replace('{M}', month) | replace('{D}', day)) -%}
    {%- endfor -%}
    {{- '(?:' ~ rendered | join('|') ~ ')' -}}
{%- endmacro %}

{#
    days_in_month(year_expr, month_expr): the number of days of a month as a SQL integer
    expression (28 or 29 for February by the Gregorian leap rule, 30 or 31 otherwise), for
    integer expressions holding a year and a month 1-12. Plain arithmetic, so checking a day
    against it never raises, unlike make_date on an impossible date.
#}
{% macro days_in_month(year_expr, month_expr) -%}
    case
        when {{ month_expr }} = 2
            then case
                when mod({{ year_expr }}, 4) = 0
                    and (mod({{ year_expr }}, 100) <> 0 or mod({{ year_expr }}, 400) = 0)
                    then 29
                else 28
            end
        when {{ month_expr }} in (4, 6, 9, 11) then 30
        else 31
    end
{%- endmacro %}
