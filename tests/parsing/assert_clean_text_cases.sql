{#
    clean_text trims ASCII space, tab, U+00A0 and U+3000 at both ends (not a line break),
    turns empty and the missing literals (NULL, null, \N, N/A) into null, folds full-width
    digits, Latin letters and ＋ to ASCII, and leaves inner text alone. Returns every case
    where it does not.
#}
with

cases as (
    select * from (
        values
        ('abc', 'abc'),
        ('  abc  ', 'abc'),
        (E'\tabc\t', 'abc'),
        (E'\u3000张伟\u3000', '张伟'),
        (E'\u00a0abc\u00a0', 'abc'),
        (E'\r\nabc\r\n', E'\r\nabc\r\n'),
        (E' abc\n ', E'abc\n'),
        (E' \u3000\t abc \u00a0', 'abc'),
        ('', null),
        ('   ', null),
        (E'\u3000', null),
        ('NULL', null),
        ('null', null),
        (E'\\N', null),
        ('N/A', null),
        (' NULL ', null),
        (E'\u3000N/A\u3000', null),
        ('Null', 'Null'),
        ('n/a', 'n/a'),
        ('NA', 'NA'),
        ('NULLS', 'NULLS'),
        ('１３８００１３８０００', '13800138000'),
        ('ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
        ('ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ', 'abcdefghijklmnopqrstuvwxyz'),
        ('＋８６ １３８', '+86 138'),
        ('ＶＩＰ００１２', 'VIP0012'),
        ('（北京）', '（北京）'),
        ('a  b', 'a  b'),
        (E'张\u3000伟', E'张\u3000伟'),
        ('0001234567', '0001234567'),
        (null, null)
    ) as cases (raw_value, expected)
),

cleaned as (
    select
        raw_value,
        expected,
        {{ clean_text('raw_value') }} as actual
    from cases
),

final as (
    select * from cleaned
    where actual is distinct from expected
)

select * from final
