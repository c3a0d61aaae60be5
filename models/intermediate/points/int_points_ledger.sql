{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

log_entries as (
    select * from {{ ref('int_points_log_entries') }}
),

card_balances as (
    select * from {{ ref('int_points_card_balances') }}
),

converted_records as (
    select * from {{ ref('int_points_converted') }}
),

log_ledger as (
    select
        'pos_points_log:' || log_id as ledger_entry_id,
        member_id,
        'pos' as source_system,
        'pos_points_log' as source_table,
        log_id as source_key,
        change_type as entry_type,
        points,
        legacy_points,
        residual_legacy_points,
        order_ref,
        occurred_at
    from log_entries
),

adjustments as (
    select
        source_table || ':' || card_no || ':adjustment' as ledger_entry_id,
        member_id,
        source_system,
        source_table,
        card_no as source_key,
        'MIGRATION_ADJUSTMENT' as entry_type,
        adjustment_points as points,
        adjustment_legacy_points as legacy_points,
        adjustment_legacy_points - adjustment_points * denominator / numerator as residual_legacy_points,
        null::text as order_ref,
        {{ as_of_instant() }} as occurred_at
    from card_balances
    where is_ledger_mismatch
),

openings as (
    -- POS balances are carried by their log entries and adjustment; a mall or WeChat balance
    -- has no log, so it opens the ledger, even when it converts to 0 new points
    select
        source_table || ':' || source_key || ':opening' as ledger_entry_id,
        member_id,
        source_system,
        source_table,
        source_key,
        'MIGRATION_OPENING' as entry_type,
        points,
        legacy_points,
        residual_legacy_points,
        null::text as order_ref,
        {{ as_of_instant() }} as occurred_at
    from converted_records
    where
        source_table <> 'pos_member_card'
        and legacy_points <> 0
),

unioned as (
    select * from log_ledger
    union all
    select * from adjustments
    union all
    select * from openings
),

final as (
    select * from unioned
)

select * from final
