{#
    parse_integer reads whole numbers (sign, thousands commas in thousands positions only, a
    fraction of zeros) as bigint and everything else, including anything beyond 18 significant
    digits, as null. Returns every case where it does not.
#}
with

cases as (
    select * from (
        values
        ('1234', 1234),
        ('1,234', 1234),
        ('1,234,567', 1234567),
        ('1234.0', 1234),
        ('1234.00', 1234),
        ('1,234.0', 1234),
        ('-50', -50),
        ('-1,234', -1234),
        ('+3', 3),
        ('0', 0),
        ('-0', 0),
        ('007', 7),
        ('１２３４', 1234),
        (E'\u30001234\u3000', 1234),
        ('999999999999999999', 999999999999999999),
        ('000999999999999999999', 999999999999999999),
        ('-999999999999999999', -999999999999999999),
        ('1000000000000000000', null),
        ('9223372036854775807', null),
        ('99999999999999999999999', null),
        ('abc', null),
        ('12e3', null),
        ('1234.5', null),
        ('1234.50', null),
        ('12,34', null),
        ('1,2345', null),
        ('1234,567', null),
        (',123', null),
        ('123,', null),
        ('1 234', null),
        ('.5', null),
        ('12.', null),
        ('--5', null),
        ('+-5', null),
        ('¥12', null),
        ('', null),
        ('NULL', null),
        ('N/A', null),
        (null, null)
    ) as cases (raw_value, expected)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_integer('raw_value') }} as actual
    from cases
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
