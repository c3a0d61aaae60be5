with

golden_members as (
    select * from {{ ref('int_members_golden') }}
),

final as (
    select
        -- ids
        member_id::text as member_id,
        -- strings
        member_name::text as member_name,
        mobile::text as mobile,
        id_card_no::text as id_card_no,
        email::text as email,
        unionid::text as unionid,
        -- dates
        birthday::date as birthday
    from golden_members
)

select * from final
