{#
    parse_email lower-cases a trimmed address and keeps it iff it matches
    ^[^@ ]+@[^@ ]+\.[^@ ]+$; everything else is null. Returns every case where it does not.
#}
with

cases as (
    select * from (
        values
        ('Zhang.Wei@Example.com ', 'zhang.wei@example.com'),
        ('a@b.c', 'a@b.c'),
        (E'\u3000li_na+vip@mail.example.cn\u3000', 'li_na+vip@mail.example.cn'),
        ('ＷＥＩ@ｅｘａｍｐｌｅ.com', 'wei@example.com'),
        ('a@b.com.', 'a@b.com.'),
        ('a@b', null),
        ('a@@b.com', null),
        ('a@b@c.com', null),
        ('a b@c.com', null),
        ('ab@c.c om', null),
        ('@b.com', null),
        ('a@.com', null),
        ('a@b.', null),
        ('zhang.wei.example.com', null),
        ('', null),
        ('N/A', null),
        (null, null)
    ) as cases (raw_value, expected)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_email('raw_value') }} as actual
    from cases
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
