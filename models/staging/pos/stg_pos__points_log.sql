{%- set contract_columns = legacy_columns('pos_points_log') -%}

with

movements as (
    select * from {{ source('pos', 'pos_points_log') }}
),

cleaned as (
    select
        -- keys
        {{ clean_text('log_id') }} as source_key,
        {{ clean_text('card_no') }} as card_no,
        -- strings
        {{ clean_code('change_type', 'upper') }} as change_type,
        {{ clean_text('order_ref') }} as order_ref,
        -- numerics as typed
        {{ clean_text('points_delta') }} as points_delta_text,
        -- timestamps as typed
        {{ clean_text('occurred_at') }} as occurred_at_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from movements
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        card_no,
        change_type,
        order_ref,
        points_delta_text,
        {{ parse_integer('points_delta_text', cleaned=true) }} as points_delta,
        occurred_at_text,
        {{ parse_legacy_timestamp('occurred_at_text', cleaned=true) }} as occurred_at,
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
        -- a missing delta is as invalid as a corrupt one
        points_delta is null as is_points_invalid,
        occurred_at_text is not null and occurred_at is null as is_occurred_at_invalid
    from parsed
),

final as (
    select * from flagged
)

select * from final
