{%- set contract_columns = legacy_columns('mall_order') -%}

with

orders as (
    select * from {{ source('mall', 'mall_order') }}
),

cleaned as (
    select
        -- keys
        {{ clean_text('order_id') }} as source_key,
        {{ clean_text('user_id') }} as user_id,
        -- strings: the contract spells order statuses in lower case
        {{ clean_code('order_status', 'lower') }} as order_status,
        -- numerics as typed
        {{ clean_text('pay_amount') }} as pay_amount_text,
        -- timestamps as typed
        {{ clean_text('order_time') }} as order_time_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from orders
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        user_id,
        order_status,
        pay_amount_text,
        {{ parse_money('pay_amount_text', cleaned=true) }} as amount,
        order_time_text,
        {{ parse_legacy_timestamp('order_time_text', cleaned=true) }} as occurred_at,
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
        -- an order amount is required: missing or unparseable is invalid
        amount is null as is_amount_invalid,
        order_time_text is not null and occurred_at is null as is_order_time_invalid
    from parsed
),

final as (
    select * from flagged
)

select * from final
