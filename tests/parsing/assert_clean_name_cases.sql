{#
    clean_name collapses runs of inner spaces (ASCII space, tab, U+00A0, U+3000) to one space
    and drops a space between two CJK ideographs, after clean_text. Returns every case where
    it does not.
#}
with

cases as (
    select * from (
        values
        ('张伟', '张伟'),
        ('张 伟', '张伟'),
        ('欧阳 娜 娜', '欧阳娜娜'),
        ('张  伟', '张伟'),
        (E'张\u3000伟', '张伟'),
        (E'张 \u3000\t伟', '张伟'),
        ('Zhang  Wei', 'Zhang Wei'),
        (E'Zhang\t\u00a0Wei', 'Zhang Wei'),
        ('张 Wei', '张 Wei'),
        ('Wei 张', 'Wei 张'),
        (E'\u3000张 伟\u3000', '张伟'),
        ('𠮷 野', '𠮷野'),
        ('ＺＨＡＮＧ Wei', 'ZHANG Wei'),
        ('张 1', '张 1'),
        ('N/A', null),
        ('', null),
        (null, null)
    ) as cases (raw_value, expected)
),

cleaned as (
    select
        raw_value,
        expected,
        {{ clean_name('raw_value') }} as actual
    from cases
),

final as (
    select * from cleaned
    where actual is distinct from expected
)

select * from final
