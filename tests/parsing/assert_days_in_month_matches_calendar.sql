{#
    days_in_month agrees with PostgreSQL's calendar for every month of the years 1-9999
    (leap years, centuries, the 30- and 31-day months). Returns every month where it does not.
#}
with

months as (
    select
        year_number,
        month_number,
        cast(
            extract(
                day from make_date(year_number, month_number, 1) + interval '1 month' - interval '1 day'
            ) as int
        ) as expected
    from generate_series(1, 9999) as year_number
    cross join generate_series(1, 12) as month_number
),

computed as (
    select
        year_number,
        month_number,
        expected,
        {{ days_in_month('year_number', 'month_number') }} as actual
    from months
),

final as (
    select * from computed
    where actual is distinct from expected
)

select * from final
