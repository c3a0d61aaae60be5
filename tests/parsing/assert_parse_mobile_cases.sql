{#
    parse_mobile turns every mobile form of the legacy exports into the 11-digit number (spaces,
    dashes and parentheses dropped, +86/0086/86 prefix dropped, full-width digits folded) and
    everything else into null. Returns every case where it does not.
#}
with

cases as (
    select * from (
        values
        ('13800138000', '13800138000'),
        ('138-0013-8000', '13800138000'),
        ('+86 138 0013 8000', '13800138000'),
        ('8613800138000', '13800138000'),
        ('008613800138000', '13800138000'),
        ('+8613800138000', '13800138000'),
        ('+86-138-0013-8000', '13800138000'),
        ('(0086) 138 0013 8000', '13800138000'),
        ('+86 (138) 0013-8000', '13800138000'),
        ('１３８００１３８０００', '13800138000'),
        ('＋８６ １３８ ００１３ ８０００', '13800138000'),
        (E'\u3000１３８００１３８０００\u3000', '13800138000'),
        (E'138\u30000013\u30008000', '13800138000'),
        ('  13800138000  ', '13800138000'),
        ('19912345678', '19912345678'),
        ('1380013800', null),
        ('138001380001', null),
        ('00000000000', null),
        ('138a0013800', null),
        ('12800138000', null),
        ('11012345678', null),
        ('138.0013.8000', null),
        ('138/0013/8000', null),
        ('+13800138000', null),
        ('+0086 13800138000', null),
        ('+87 13800138000', null),
        ('+8612800138000', null),
        ('861380013800', null),
        ('86', null),
        ('---', null),
        ('', null),
        ('N/A', null),
        ('NULL', null),
        (null, null)
    ) as cases (raw_value, expected)
),

parsed as (
    select
        raw_value,
        expected,
        {{ parse_mobile('raw_value') }} as actual
    from cases
),

final as (
    select * from parsed
    where actual is distinct from expected
)

select * from final
