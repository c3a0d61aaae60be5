{#
    try_cast_jsonb never raises: it returns the jsonb of valid JSON and null for anything else,
    whatever the order of the values. Invalid values come first on purpose: PostgreSQL 18 plans
    the first calls of a function's body with the argument as a constant, and a cast folded
    there raised an error before (a wechat_member.csv whose first rows held broken ext_attrs
    stopped the build). Returns every case where the result is not the expected one; an error
    fails the test too.
#}
with

cases as (
    select * from (
        values
        (1, '{"属性1":"母婴"', null),
        (2, '{bad', null),
        (3, '[1, 2', null),
        (4, '', null),
        (5, 'not json', null),
        (6, '{"a":}', null),
        (7, '{"属性1":"母婴","vipTag":"S"}', '{"vipTag": "S", "属性1": "母婴"}'),
        (8, '{}', '{}'),
        (9, '[1, 2]', '[1, 2]'),
        (10, '"text"', '"text"'),
        (11, null, null),
        (12, '{"a":', null)
    ) as t (case_number, input_text, expected_text)
),

checked as (
    select
        case_number,
        input_text,
        expected_text,
        {{ try_cast_jsonb('input_text') }} as actual
    from cases
),

final as (
    select * from checked
    where actual is distinct from cast(expected_text as jsonb)
)

select * from final
