{#
    parse_legacy_date agrees with PostgreSQL's own calendar, in every date form (Y-M-D padded
    or not, Y/M/D, YYYYMMDD, Y年M月D日, D/M/YYYY padded or not):
    - every day of the years 1899-1901 and 1999-2001 (century boundaries, 1900 not leap, 2000
      leap), and the first and last day of every month from 1890 to 2110, give that day;
    - days 29, 30 and 31 that a month from 1890 to 2110 does not have, and month 0, month 13
      and day 0, give null;
    - February 29 of every year 0001-9999 (written with four digits) gives a date exactly in
      PostgreSQL's leap years.
    Returns every spelling where the macro disagrees.
#}
with

months as (
    select
        cast(extract(year from month_start) as int) as year_number,
        cast(extract(month from month_start) as int) as month_number,
        cast(month_start as date) as first_day,
        cast(month_start + interval '1 month' - interval '1 day' as date) as last_day
    from generate_series(
        timestamp '1890-01-01',
        timestamp '2110-12-01',
        interval '1 month'
    ) as month_start
),

real_days as (
    select cast(day_start as date) as calendar_day
    from generate_series(timestamp '1899-01-01', timestamp '1901-12-31', interval '1 day') as day_start
    union
    select cast(day_start as date) as calendar_day
    from generate_series(timestamp '1999-01-01', timestamp '2001-12-31', interval '1 day') as day_start
    union
    select first_day as calendar_day from months
    union
    select last_day as calendar_day from months
),

real_day_parts as (
    select
        cast(extract(year from calendar_day) as int) as year_number,
        cast(extract(month from calendar_day) as int) as month_number,
        cast(extract(day from calendar_day) as int) as day_number,
        calendar_day as expected
    from real_days
),

impossible_days as (
    select
        months.year_number,
        months.month_number,
        candidate_day.day_number,
        cast(null as date) as expected
    from months
    cross join (values (29), (30), (31)) as candidate_day (day_number)
    where candidate_day.day_number > extract(day from months.last_day)
    union all
    select
        months.year_number,
        bad_parts.month_number,
        bad_parts.day_number,
        cast(null as date) as expected
    from months
    cross join (values (0, 1), (13, 1), (1, 0)) as bad_parts (month_number, day_number)
    where months.month_number = 1
),

february_29s as (
    select
        year_number,
        2 as month_number,
        29 as day_number,
        case
            when extract(day from make_date(year_number, 3, 1) - 1) = 29
                then make_date(year_number, 2, 29)
        end as expected
    from generate_series(1, 9999) as year_number
),

days_to_spell as (
    select * from real_day_parts
    union all
    select * from impossible_days
    union all
    select * from february_29s
),

day_texts as (
    select
        expected,
        lpad(cast(year_number as text), 4, '0') as year_text,
        cast(month_number as text) as month_text,
        cast(day_number as text) as day_text,
        lpad(cast(month_number as text), 2, '0') as month_padded,
        lpad(cast(day_number as text), 2, '0') as day_padded
    from days_to_spell
),

spellings as (
    select
        day_texts.expected,
        spelled.raw_value
    from day_texts
    cross join lateral (
        values
        (day_texts.year_text || '-' || day_texts.month_text || '-' || day_texts.day_text),
        (day_texts.year_text || '-' || day_texts.month_padded || '-' || day_texts.day_padded),
        (day_texts.year_text || '/' || day_texts.month_text || '/' || day_texts.day_text),
        (day_texts.year_text || day_texts.month_padded || day_texts.day_padded),
        (day_texts.year_text || '年' || day_texts.month_text || '月' || day_texts.day_text || '日'),
        (day_texts.day_text || '/' || day_texts.month_text || '/' || day_texts.year_text),
        (day_texts.day_padded || '/' || day_texts.month_padded || '/' || day_texts.year_text)
    ) as spelled (raw_value)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_legacy_date('raw_value') }} as actual
    from spellings
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
