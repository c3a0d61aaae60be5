{#
    national_id_gender and national_id_birthday read a valid 18-character ID: the 17th digit odd
    is M, even is F; characters 7-14 are the birth date. A value that is not an ID gives null,
    never an error. Returns every case where they disagree.
#}
with

cases as (
    select * from (
        values
        ('440304198804121116', 'M', date '1988-04-12'),
        ('440304198804121124', 'F', date '1988-04-12'),
        ('440304198804121132', 'M', date '1988-04-12'),
        ('11010519491231002X', 'F', date '1949-12-31'),
        ('440304200002294568', 'F', date '2000-02-29'),
        ('320502197001010005', 'F', date '1970-01-01'),
        ('440304199002301232', 'M', null),
        ('abc', null, null),
        (null, null, null)
    ) as cases (id_card_no, expected_gender, expected_birthday)
),

derived as (
    select
        id_card_no,
        expected_gender,
        expected_birthday,
        {{ national_id_gender('id_card_no') }} as actual_gender,
        {{ national_id_birthday('id_card_no') }} as actual_birthday
    from cases
),

final as (
    select * from derived
    where
        actual_gender is distinct from expected_gender
        or actual_birthday is distinct from expected_birthday
)

select * from final
