{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

mall_coupons as (
    select * from {{ ref('int_coupon_records') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

open_coupons as (
    -- only an unused coupon that is still valid after the cut-off is a benefit; a coupon
    -- without a usable expire_at is not known to be valid, so it is not transferred
    select
        -- ids
        'mall_coupon:' || mall_coupons.source_key as benefit_id,
        matched_records.member_id,
        'mall' as source_system,
        'mall_coupon' as source_table,
        mall_coupons.source_key,
        -- strings
        'COUPON_' || mall_coupons.coupon_type as benefit_type,
        -- numerics
        mall_coupons.face_value as amount,
        -- timestamps
        mall_coupons.issued_at,
        mall_coupons.expire_at as expires_at
    from mall_coupons
    left join matched_records
        on
            matched_records.source_table = 'mall_user'
            and mall_coupons.user_id = matched_records.source_key
    where
        mall_coupons.coupon_status = 'unused'
        and mall_coupons.expire_at > {{ as_of_instant() }}
),

stored_values as (
    select
        -- ids
        source_table || ':' || source_key || ':stored_value' as benefit_id,
        member_id,
        source_system,
        source_table,
        source_key,
        -- strings
        'STORED_VALUE' as benefit_type,
        -- numerics
        stored_value as amount,
        -- timestamps
        null::timestamptz as issued_at,
        null::timestamptz as expires_at
    from matched_records
    where
        source_table = 'pos_member_card'
        and stored_value <> 0
),

unioned as (
    select * from open_coupons
    union all
    select * from stored_values
),

final as (
    select * from unioned
)

select * from final
