{#
    parse_money reads yuan amounts (an optional ¥/￥ and sign in either order, thousands commas,
    at most two decimals) as numeric(14,2) and never rounds: more decimals, anything else, or a
    value too large for numeric(14,2) is null. Returns every case where it does not.
#}
with

cases as (
    select * from (
        values
        ('123.45', 123.45),
        ('¥123.45', 123.45),
        ('￥123.45', 123.45),
        ('0', 0.00),
        ('-12.50', -12.50),
        ('¥-12.50', -12.50),
        ('-¥12.50', -12.50),
        ('￥-12.5', -12.50),
        ('+3', 3.00),
        ('¥+3', 3.00),
        ('1.5', 1.50),
        ('1,234.5', 1234.50),
        ('¥1,234,567.89', 1234567.89),
        ('１２３.４５', 123.45),
        (E'\u3000¥12\u3000', 12.00),
        ('999999999999.99', 999999999999.99),
        ('-999999999999.99', -999999999999.99),
        ('1000000000000', null),
        ('1,000,000,000,000.00', null),
        ('1.005', null),
        ('12.345', null),
        ('12.', null),
        ('.5', null),
        ('12,34', null),
        ('1,2345.00', null),
        ('abc', null),
        ('1e3', null),
        ('12.5.1', null),
        ('¥', null),
        ('-', null),
        ('¥¥1', null),
        ('-¥-1', null),
        ('--1', null),
        ('¥ 12', null),
        ('12¥', null),
        ('$12', null),
        ('', null),
        ('N/A', null),
        (null, null)
    ) as cases (raw_value, expected)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_money('raw_value') }} as actual
    from cases
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
