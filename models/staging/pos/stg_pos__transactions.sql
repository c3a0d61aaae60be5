{%- set contract_columns = legacy_columns('pos_transaction') -%}

with

transactions as (
    select * from {{ source('pos', 'pos_transaction') }}
),

cleaned as (
    select
        -- keys
        {{ clean_text('txn_id') }} as source_key,
        {{ clean_text('card_no') }} as card_no,
        -- strings
        {{ clean_code('store_code') }} as store_code,
        -- numerics as typed
        {{ clean_text('amount') }} as amount_text,
        {{ clean_text('points_earned') }} as points_earned_text,
        -- timestamps as typed
        {{ clean_text('txn_time') }} as txn_time_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from transactions
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        card_no,
        store_code,
        amount_text,
        {{ parse_money('amount_text', cleaned=true) }} as amount,
        points_earned_text,
        -- informational only: parsed when it can be, never a rule
        {{ parse_integer('points_earned_text', cleaned=true) }} as points_earned,
        txn_time_text,
        {{ parse_legacy_timestamp('txn_time_text', cleaned=true) }} as occurred_at,
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
        -- a transaction amount is required: missing or unparseable is invalid
        amount is null as is_amount_invalid,
        txn_time_text is not null and occurred_at is null as is_txn_time_invalid
    from parsed
),

final as (
    select * from flagged
)

select * from final
