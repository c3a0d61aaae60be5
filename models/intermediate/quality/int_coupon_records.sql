with

winning_rows as (
    select * from {{ ref('int_mall_coupons_versioned') }}
    where is_winner
),

quarantined as (
    select * from {{ ref('int_rows_quarantined') }}
    where source_table = 'mall_coupon'
),

migrated as (
    select winning_rows.*
    from winning_rows
    left join quarantined
        on
            winning_rows._batch_id = quarantined._batch_id
            and winning_rows._record_number = quarantined._record_number
    where quarantined.source_table is null
),

final as (
    select
        -- ids
        source_key,
        user_id,
        -- strings
        coupon_type,
        coupon_status,
        -- numerics
        face_value,
        -- timestamps
        issued_at,
        expire_at,
        -- lineage
        _batch_id,
        _source_file,
        _record_number
    from migrated
)

select * from final
