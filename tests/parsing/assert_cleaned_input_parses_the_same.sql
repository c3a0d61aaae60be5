{#
    The staging models clean every column once and hand the cleaned column to the parsing
    macros with cleaned=true, so each value is cleaned once instead of twice. That must give
    exactly what the macro gives on the raw value: every parsing macro, on the same raw values
    (each macro's hard cases, including the missing literals and full-width forms, which are
    where cleaning twice could differ), both ways. Returns every value where the two differ.
#}
with

raw_values as (
    select * from (
        values
        (cast(null as text)), (''), ('   '), ('NULL'), ('null'), ('ＮＵＬＬ'), ('ｎｕｌｌ'),
        ('N/A'), ('Ｎ/Ａ'), (E'\\N'), (E'\u3000NULL\u3000'),
        -- mobiles
        ('13800138000'), ('138-0013-8000'), ('+86 138 0013 8000'), ('8613800138000'),
        ('(0086) 138 0013 8000'), ('１３８００１３８０００'), ('＋８６ １３８ ００１３ ８０００'),
        ('1380013800'), ('00000000000'), ('138a0013800'), ('12800138000'),
        -- national IDs
        ('11010519491231002X'), ('11010519491231002x'), ('110105491231002'),
        ('１１０１０５１９４９１２３１００２Ｘ'), ('110105194912310021'), ('110105190002290027'),
        -- emails
        (' Zhang.Wei@Example.com '), ('ｚｈａｎｇ@ｅｘａｍｐｌｅ.ｃｏｍ'), ('a@b'), ('a b@c.d'),
        -- numbers and money
        ('1234'), ('1,234'), ('1234.0'), ('-50'), ('+7'), ('１２３４'), ('12,34'), ('1234.5'),
        ('¥-12.50'), ('-¥12.50'), ('￥1,234.5'), ('1.005'), ('0000000000000000000012'),
        ('9999999999999999999'), ('123456789012.34'), ('1234567890123'),
        -- dates and times
        ('1990-01-05'), ('1990/1/5'), ('05/01/1990'), ('19900105'), ('1990年1月5日'),
        ('１９９０-０１-０５'), ('2019-03-01T10:00:00+08:00'), ('2019-03-01 10:00:00.5'),
        ('1/3/2019 9:05Z'), ('20190301T10:00:00'), ('1404172800'), ('１４０４１７２８００'),
        ('1990-02-30'), ('2000-02-29'), ('1900-02-29'), ('0000-00-00'), ('2019.03.01'),
        ('2019-03-01 24:30'), ('2019-03-01T10:00:00 +08:00'), ('13/13/2019')
    ) as raw_values (raw_value)
),

cleaned as (
    select
        raw_value,
        {{ clean_text('raw_value') }} as cleaned_value
    from raw_values
    {{ optimization_fence() }}
),

parsed as (
    select
        raw_value,
        {{ parse_mobile('raw_value') }} as mobile,
        {{ parse_mobile('cleaned_value', cleaned=true) }} as mobile_from_cleaned,
        {{ parse_national_id('raw_value') }} as id_card_no,
        {{ parse_national_id('cleaned_value', cleaned=true) }} as id_card_no_from_cleaned,
        {{ parse_email('raw_value') }} as email,
        {{ parse_email('cleaned_value', cleaned=true) }} as email_from_cleaned,
        {{ parse_integer('raw_value') }} as integer_value,
        {{ parse_integer('cleaned_value', cleaned=true) }} as integer_from_cleaned,
        {{ parse_money('raw_value') }} as money,
        {{ parse_money('cleaned_value', cleaned=true) }} as money_from_cleaned,
        {{ parse_legacy_timestamp('raw_value') }} as legacy_timestamp,
        {{ parse_legacy_timestamp('cleaned_value', cleaned=true) }} as legacy_timestamp_from_cleaned,
        {{ parse_legacy_date('raw_value') }} as legacy_date,
        {{ parse_legacy_date('cleaned_value', cleaned=true) }} as legacy_date_from_cleaned
    from cleaned
),

final as (
    select * from parsed
    where
        mobile is distinct from mobile_from_cleaned
        or id_card_no is distinct from id_card_no_from_cleaned
        or email is distinct from email_from_cleaned
        or integer_value is distinct from integer_from_cleaned
        or money is distinct from money_from_cleaned
        or legacy_timestamp is distinct from legacy_timestamp_from_cleaned
        or legacy_date is distinct from legacy_date_from_cleaned
)

select * from final
