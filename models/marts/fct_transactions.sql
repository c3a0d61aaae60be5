with

transactions as (
    select * from {{ ref('int_transactions_unioned') }}
),

final as (
    select
        -- ids
        transaction_id::text as transaction_id,
        member_id::text as member_id,
        source_system::text as source_system,
        source_table::text as source_table,
        source_key::text as source_key,
        -- strings
        channel::text as channel,
        status::text as status,
        store_code::text as store_code,
        -- numerics
        amount::numeric(14, 2) as amount,
        -- booleans
        is_purchase::boolean as is_purchase,
        -- timestamps
        occurred_at::timestamptz as occurred_at
    from transactions
)

select * from final
