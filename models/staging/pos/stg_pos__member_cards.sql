{%- set contract_columns = legacy_columns('pos_member_card') -%}

with

cards as (
    select * from {{ source('pos', 'pos_member_card') }}
),

cleaned as (
    select
        -- key
        {{ clean_text('card_no') }} as source_key,
        -- strings (cleaned text kept where an issue row needs the value as typed)
        {{ clean_name('member_name') }} as member_name,
        {{ clean_text('mobile') }} as mobile_text,
        {{ clean_text('id_card_no') }} as id_card_no_text,
        {{ clean_text('gender') }} as gender_text,
        {{ clean_code('store_code') }} as store_code,
        {{ clean_text('tier_name') }} as tier_name_text,
        {{ clean_text('status') }} as status_text,
        {{ clean_text('nickname') }} as nickname,
        {{ clean_text('province') }} as province_text,
        {{ clean_text('city') }} as city_text,
        -- numerics as typed
        {{ clean_text('points') }} as points_text,
        {{ clean_text('stored_value') }} as stored_value_text,
        -- dates and timestamps as typed
        {{ clean_text('birthday') }} as birthday_text,
        {{ clean_text('open_date') }} as open_date_text,
        {{ clean_text('updated_at') }} as updated_at_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from cards
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        member_name,
        mobile_text,
        {{ parse_mobile('mobile_text', cleaned=true) }} as mobile,
        id_card_no_text,
        {{ parse_national_id('id_card_no_text', cleaned=true) }} as id_card_no,
        gender_text,
        {{ clean_code('gender_text', 'upper') }} as gender_code,
        store_code,
        tier_name_text,
        {{ clean_code('tier_name_text', 'upper') }} as tier_name,
        status_text,
        {{ clean_code('status_text', 'upper') }} as status_code,
        nickname,
        province_text,
        city_text,
        points_text,
        {{ parse_integer('points_text', cleaned=true) }} as points,
        stored_value_text,
        {{ parse_money('stored_value_text', cleaned=true) }} as stored_value,
        birthday_text,
        {{ parse_legacy_date('birthday_text', cleaned=true) }} as birthday,
        open_date_text,
        {{ parse_legacy_timestamp('open_date_text', cleaned=true) }} as opened_at,
        updated_at_text,
        {{ parse_legacy_timestamp('updated_at_text', cleaned=true) }} as updated_at,
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
        -- the POS recency timestamp (migration-rules.md sections 4 and 6)
        updated_at as recency_at,
        source_key is null as is_key_missing,
        mobile_text is not null and mobile is null as is_mobile_invalid,
        id_card_no_text is not null and id_card_no is null as is_id_card_invalid,
        -- a missing balance is as invalid as a corrupt one
        points is null as is_points_invalid,
        -- a missing stored value is 0; a present one must parse
        stored_value_text is not null and stored_value is null as is_stored_value_invalid,
        coalesce(status_code not in ('A', 'B', 'C'), true) as is_status_invalid,
        birthday_text is not null and birthday is null as is_birthday_invalid,
        open_date_text is not null and opened_at is null as is_open_date_invalid,
        updated_at_text is not null and updated_at is null as is_updated_at_invalid
    from parsed
),

final as (
    select * from flagged
)

select * from final
