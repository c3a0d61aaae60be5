{#
    parse_legacy_timestamp reads every date and date-time form of the legacy exports (Beijing
    time without an offset, the offset when there is one, epoch seconds) and gives null, never
    an error, for every other form and every impossible date. Returns every case where it does
    not.
#}
with

cases as (
    select * from (
        values
        -- date forms, midnight Beijing time
        ('1990-01-05', timestamptz '1990-01-05 00:00:00+08'),
        ('1990-1-5', timestamptz '1990-01-05 00:00:00+08'),
        ('1990/01/05', timestamptz '1990-01-05 00:00:00+08'),
        ('1990/1/5', timestamptz '1990-01-05 00:00:00+08'),
        ('19900105', timestamptz '1990-01-05 00:00:00+08'),
        ('1990年1月5日', timestamptz '1990-01-05 00:00:00+08'),
        ('1990年01月05日', timestamptz '1990-01-05 00:00:00+08'),
        ('05/01/1990', timestamptz '1990-01-05 00:00:00+08'),
        ('5/1/1990', timestamptz '1990-01-05 00:00:00+08'),
        ('31/12/2019', timestamptz '2019-12-31 00:00:00+08'),
        ('１９９０-０１-０５', timestamptz '1990-01-05 00:00:00+08'),
        (E'\u30001990-01-05\u3000', timestamptz '1990-01-05 00:00:00+08'),
        -- leap years and month ends
        ('2000-02-29', timestamptz '2000-02-29 00:00:00+08'),
        ('2016-2-29', timestamptz '2016-02-29 00:00:00+08'),
        ('2400-02-29', timestamptz '2400-02-29 00:00:00+08'),
        ('29/2/2000', timestamptz '2000-02-29 00:00:00+08'),
        ('20000229', timestamptz '2000-02-29 00:00:00+08'),
        ('1990-12-31', timestamptz '1990-12-31 00:00:00+08'),
        ('1992-04-30', timestamptz '1992-04-30 00:00:00+08'),
        ('1000-01-01', timestamptz '1000-01-01 00:00:00 {{ var("legacy_timezone") }}'),
        -- a real date of a year before 1000 is a date (the range rules judge it, not the parser)
        ('0999-01-01', timestamptz '0999-01-01 00:00:00 {{ var("legacy_timezone") }}'),
        ('0001-01-01', timestamptz '0001-01-01 00:00:00 {{ var("legacy_timezone") }}'),
        ('00010101 08:00', timestamptz '0001-01-01 00:00:00+00'),
        ('1/1/0001', timestamptz '0001-01-01 00:00:00 {{ var("legacy_timezone") }}'),
        ('0004-02-29', timestamptz '0004-02-29 00:00:00 {{ var("legacy_timezone") }}'),
        -- with a time
        ('2019-03-01 10:00', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01 9:05', timestamptz '2019-03-01 09:05:00+08'),
        ('2019-03-01 09:05:07', timestamptz '2019-03-01 09:05:07+08'),
        ('2019-03-01T10:00:00', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-3-1 0:00', timestamptz '2019-03-01 00:00:00+08'),
        ('2019-03-01 23:59:59', timestamptz '2019-03-01 23:59:59+08'),
        ('2019/3/1 10:00', timestamptz '2019-03-01 10:00:00+08'),
        ('1/3/2019 10:00:00', timestamptz '2019-03-01 10:00:00+08'),
        ('01/03/2019T10:00:00+0530', timestamptz '2019-03-01 12:30:00+08'),
        ('1/3/2019 9:05Z', timestamptz '2019-03-01 17:05:00+08'),
        ('20190301 10:00', timestamptz '2019-03-01 10:00:00+08'),
        ('20190301T10:00:00', timestamptz '2019-03-01 10:00:00+08'),
        ('2019年3月1日 10:00', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01 10:00:00.5', timestamptz '2019-03-01 10:00:00.5+08'),
        ('2019-03-01 10:00:00.123456', timestamptz '2019-03-01 10:00:00.123456+08'),
        -- with an offset
        ('2019-03-01T10:00:00+08:00', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01T10:00:00+0800', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01 10:00+08:00', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01T02:00:00Z', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01T02:00Z', timestamptz '2019-03-01 10:00:00+08'),
        ('2019-03-01T02:00:00.250Z', timestamptz '2019-03-01 10:00:00.25+08'),
        ('2019-03-01T10:00:00-05:00', timestamptz '2019-03-01 23:00:00+08'),
        ('2019-03-01 10:00:00+0530', timestamptz '2019-03-01 12:30:00+08'),
        ('2019-03-01 10:00:00-0330', timestamptz '2019-03-01 21:30:00+08'),
        ('2019-03-01T10:00:00+14:00', timestamptz '2019-03-01 04:00:00+08'),
        -- epoch seconds
        ('1404172800', timestamptz '2014-07-01 08:00:00+08'),
        ('１４０４１７２８００', timestamptz '2014-07-01 08:00:00+08'),
        ('0000000001', timestamptz '1970-01-01 00:00:01+00'),
        -- impossible dates
        ('1990-02-30', null),
        ('0000-00-00', null),
        ('1900-02-29', null),
        ('2019-02-29', null),
        ('2100-02-29', null),
        ('19000229', null),
        ('29/2/2019', null),
        ('1990-13-01', null),
        ('1990-00-10', null),
        ('1990-01-00', null),
        ('1990-04-31', null),
        ('1990-01-32', null),
        ('13/13/2019', null),
        ('31/4/2019', null),
        ('1990年2月30日', null),
        ('19901301', null),
        ('999-01-01', null),
        ('0000-01-01', null),
        ('00000101', null),
        ('1/1/0000', null),
        ('0000年1月1日', null),
        ('0003-02-29', null),
        ('2019-02-29 10:00:00+08:00', null),
        -- impossible times
        ('2019-03-01 24:30', null),
        ('2019-03-01 24:00', null),
        ('2019-03-01 12:60', null),
        ('2019-03-01 12:30:60', null),
        ('2019-03-01 12:5', null),
        ('2019-03-01 123:00', null),
        ('2019-03-01T10', null),
        ('2019-03-01T10:00:00+15:00', null),
        ('2019-03-01T10:00:00+08:60', null),
        -- other forms
        ('2019.03.01', null),
        ('2019-03-01.', null),
        ('123456789', null),
        ('1234567890123', null),
        ('12345678901', null),
        ('199001051', null),
        ('1990-1/5', null),
        ('1990/1-5', null),
        ('1990-01-05Z', null),
        ('1990-01-05+08:00', null),
        ('2019-03-01 10:00 +08:00', null),
        ('2019-03-01T10:00:00+08', null),
        ('2019-03-01  10:00', null),
        ('2019-03-01t10:00', null),
        ('2019-03-01T10:00z', null),
        ('2019-03-01 10:00:00.', null),
        ('01-03-2019', null),
        ('1990年1月5', null),
        ('March 1, 2019', null),
        ('', null),
        ('NULL', null),
        (E'\\N', null),
        ('N/A', null),
        (null, null)
    ) as cases (raw_value, expected)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_legacy_timestamp('raw_value') }} as actual
    from cases
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
