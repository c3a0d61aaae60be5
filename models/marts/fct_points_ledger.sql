with

ledger as (
    select * from {{ ref('int_points_ledger') }}
),

final as (
    select
        -- ids
        ledger_entry_id::text as ledger_entry_id,
        member_id::text as member_id,
        source_system::text as source_system,
        source_table::text as source_table,
        source_key::text as source_key,
        -- strings
        entry_type::text as entry_type,
        order_ref::text as order_ref,
        -- numerics
        points::bigint as points,
        legacy_points::bigint as legacy_points,
        residual_legacy_points::bigint as residual_legacy_points,
        -- timestamps
        occurred_at::timestamptz as occurred_at
    from ledger
)

select * from final
