{#
    parse_legacy_date gives the calendar date in Beijing time of every accepted form: a value
    without an offset keeps its own date, one with an offset or epoch seconds is converted to
    Beijing time first; every other value is null. Returns every case where it does not.
#}
with

cases as (
    select * from (
        values
        ('1990-01-05', date '1990-01-05'),
        ('1990/1/5', date '1990-01-05'),
        ('05/01/1990', date '1990-01-05'),
        ('19900105', date '1990-01-05'),
        ('1990年1月5日', date '1990-01-05'),
        ('1990-07-01', date '1990-07-01'),
        ('1988-04-10', date '1988-04-10'),
        ('1900-01-01', date '1900-01-01'),
        ('2000-02-29', date '2000-02-29'),
        ('1990-01-05 23:59:59', date '1990-01-05'),
        ('1990-01-05 0:00', date '1990-01-05'),
        ('2019-03-01T20:00:00-05:00', date '2019-03-02'),
        ('2019-03-01T16:00:00Z', date '2019-03-02'),
        ('2019-03-01T15:59:59Z', date '2019-03-01'),
        ('2019-03-01T00:30:00+09:00', date '2019-02-28'),
        ('2019-03-01T00:00:00+0800', date '2019-03-01'),
        ('1404144000', date '2014-07-01'),
        ('1404143999', date '2014-06-30'),
        ('1990-02-30', null),
        ('0000-00-00', null),
        ('1900-02-29', null),
        ('2019-02-29', null),
        ('2019.03.01', null),
        ('123456789', null),
        ('', null),
        ('N/A', null),
        (null, null)
    ) as cases (raw_value, expected)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_legacy_date('raw_value') }} as actual
    from cases
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
