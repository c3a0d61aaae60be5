-- A migrated child row (points log entry, transaction, order, coupon) and every warning
-- belong to a migrated member record: otherwise it would be ORPHAN_REFERENCE or
-- PARENT_QUARANTINED. Fails with the rows whose member is not in int_member_records.
with

members as (
    select * from {{ ref('int_member_records') }}
),

belongings as (
    select
        'pos_points_log' as source_table,
        source_key,
        'pos_member_card' as member_source_table,
        card_no as member_source_key
    from {{ ref('int_points_log_records') }}
    union all
    select
        'pos_transaction' as source_table,
        source_key,
        'pos_member_card' as member_source_table,
        card_no as member_source_key
    from {{ ref('int_transaction_records') }}
    union all
    select
        'mall_order' as source_table,
        source_key,
        'mall_user' as member_source_table,
        user_id as member_source_key
    from {{ ref('int_order_records') }}
    union all
    select
        'mall_coupon' as source_table,
        source_key,
        'mall_user' as member_source_table,
        user_id as member_source_key
    from {{ ref('int_coupon_records') }}
    union all
    select
        source_table,
        source_key,
        member_source_table,
        member_source_key
    from {{ ref('int_row_warnings') }}
),

final as (
    -- an anti-join: the planner hashes the member records once and streams the rest past them
    select belongings.*
    from belongings
    where not exists (
        select 1
        from members
        where
            members.source_table = belongings.member_source_table
            and members.source_key = belongings.member_source_key
    )
)

select * from final
