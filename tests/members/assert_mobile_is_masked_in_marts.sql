-- No mobile in clear in the marts (mart-contract.md): dim_members.mobile_masked keeps only
-- the first three and last four digits (138****8000), and matches the member's mobile in
-- pii.member_identities. Returns the members where it does not.

with

members as (
    select * from {{ ref('dim_members') }}
),

identities as (
    select * from {{ ref('member_identities') }}
),

final as (
    select
        members.member_id,
        members.mobile_masked
    from members
    inner join identities
        on members.member_id = identities.member_id
    where
        (members.mobile_masked is null) <> (identities.mobile is null)
        or members.mobile_masked !~ '^1[3-9][0-9][*]{4}[0-9]{4}$'
        or left(members.mobile_masked, 3) <> left(identities.mobile, 3)
        or right(members.mobile_masked, 4) <> right(identities.mobile, 4)
)

select * from final
