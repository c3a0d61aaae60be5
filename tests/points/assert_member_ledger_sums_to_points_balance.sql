-- Every member's points ledger adds up to its points balance, exactly
-- (migration-rules.md section 7): the rows returned are members whose balance and ledger sum
-- differ, or ledger entries of a member that does not exist.

with

members as (
    select * from {{ ref('dim_members') }}
),

ledger as (
    select * from {{ ref('fct_points_ledger') }}
),

ledger_sums as (
    select
        member_id,
        sum(points) as ledger_points
    from ledger
    group by member_id
),

compared as (
    select
        coalesce(members.member_id, ledger_sums.member_id) as member_id,
        members.points_balance,
        coalesce(ledger_sums.ledger_points, 0) as ledger_points
    from members
    full outer join ledger_sums
        on members.member_id = ledger_sums.member_id
),

final as (
    select * from compared
    where points_balance is distinct from ledger_points
)

select * from final
