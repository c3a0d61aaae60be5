{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

pos_transactions as (
    select * from {{ ref('int_transaction_records') }}
),

mall_orders as (
    select * from {{ ref('int_order_records') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

store_transactions as (
    select
        -- ids
        'pos_transaction:' || pos_transactions.source_key as transaction_id,
        matched_records.member_id,
        'pos' as source_system,
        'pos_transaction' as source_table,
        pos_transactions.source_key,
        -- strings
        'store' as channel,
        case
            when pos_transactions.amount > 0 then 'purchase'
            when pos_transactions.amount < 0 then 'refund'
            else 'zero'
        end as status,
        pos_transactions.store_code,
        -- numerics
        pos_transactions.amount,
        -- booleans
        pos_transactions.amount > 0 as is_purchase,
        -- timestamps
        pos_transactions.occurred_at
    from pos_transactions
    left join matched_records
        on
            matched_records.source_table = 'pos_member_card'
            and pos_transactions.card_no = matched_records.source_key
),

online_orders as (
    select
        -- ids
        'mall_order:' || mall_orders.source_key as transaction_id,
        matched_records.member_id,
        'mall' as source_system,
        'mall_order' as source_table,
        mall_orders.source_key,
        -- strings
        'mall' as channel,
        mall_orders.order_status as status,
        null::text as store_code,
        -- numerics
        mall_orders.amount,
        -- booleans
        coalesce(mall_orders.order_status = 'paid', false) as is_purchase,
        -- timestamps
        mall_orders.occurred_at
    from mall_orders
    left join matched_records
        on
            matched_records.source_table = 'mall_user'
            and mall_orders.user_id = matched_records.source_key
),

unioned as (
    select * from store_transactions
    union all
    select * from online_orders
),

final as (
    select * from unioned
)

select * from final
