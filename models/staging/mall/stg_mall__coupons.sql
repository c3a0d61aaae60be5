{%- set contract_columns = legacy_columns('mall_coupon') -%}

with

coupons as (
    select * from {{ source('mall', 'mall_coupon') }}
),

cleaned as (
    select
        -- keys
        {{ clean_text('coupon_id') }} as source_key,
        {{ clean_text('user_id') }} as user_id,
        -- strings: coupon types upper case, statuses lower case as the contract spells them
        {{ clean_code('coupon_type', 'upper') }} as coupon_type,
        {{ clean_code('coupon_status', 'lower') }} as coupon_status,
        -- numerics as typed
        {{ clean_text('face_value') }} as face_value_text,
        -- timestamps as typed
        {{ clean_text('issued_at') }} as issued_at_text,
        {{ clean_text('expire_at') }} as expire_at_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from coupons
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        user_id,
        coupon_type,
        coupon_status,
        face_value_text,
        {{ parse_money('face_value_text', cleaned=true) }} as face_value,
        issued_at_text,
        {{ parse_legacy_timestamp('issued_at_text', cleaned=true) }} as issued_at,
        expire_at_text,
        {{ parse_legacy_timestamp('expire_at_text', cleaned=true) }} as expire_at,
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        row_hash
    from cleaned
    -- compute every parsed value once: the flags below read them
    {{ optimization_fence() }}
),

flagged as (
    select
        *,
        source_key is null as is_key_missing,
        -- a face value is required: missing or unparseable is invalid
        face_value is null as is_face_value_invalid,
        issued_at_text is not null and issued_at is null as is_issued_at_invalid,
        expire_at_text is not null and expire_at is null as is_expire_at_invalid
    from parsed
),

final as (
    select * from flagged
)

select * from final
