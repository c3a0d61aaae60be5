{#
    clean_code trims like clean_text and upper-cases Latin letters (case='upper') or
    lower-cases them (case='lower'); Chinese codes pass through. Returns every case where it
    does not.
#}
with

cases as (
    select * from (
        values
        ('upper', ' a ', 'A'),
        ('upper', 'vip', 'VIP'),
        ('upper', 'l1', 'L1'),
        ('upper', 'ｌ１', 'L1'),
        ('upper', E'\u3000金卡\u3000', '金卡'),
        ('upper', ' 积分获得', '积分获得'),
        ('upper', 'Earn', 'EARN'),
        ('upper', 'NULL', null),
        ('upper', '', null),
        ('upper', null, null),
        ('lower', 'PAID', 'paid'),
        ('lower', ' Male ', 'male'),
        ('lower', 'ＵＮＵＳＥＤ', 'unused'),
        ('lower', 'N/A', null),
        ('lower', null, null)
    ) as cases (letter_case, raw_value, expected)
),

cleaned as (
    select
        letter_case,
        raw_value,
        expected,
        case letter_case
            when 'upper' then {{ clean_code('raw_value') }}
            when 'lower' then {{ clean_code('raw_value', case='lower') }}
        end as actual
    from cases
),

final as (
    select * from cleaned
    where actual is distinct from expected
)

select * from final
