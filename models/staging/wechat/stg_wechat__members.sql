{%- set contract_columns = legacy_columns('wechat_member') -%}

with

members as (
    select * from {{ source('wechat', 'wechat_member') }}
),

cleaned as (
    select
        -- key
        {{ clean_text('openid') }} as source_key,
        -- strings (cleaned text kept where an issue row needs the value as typed)
        {{ clean_text('unionid') }} as unionid,
        {{ clean_text('mobile') }} as mobile_text,
        {{ clean_text('nickname') }} as nickname,
        {{ clean_text('gender') }} as gender_text,
        {{ clean_text('member_level') }} as member_level_text,
        {{ clean_text('channel') }} as channel,
        {{ clean_text('ext_attrs') }} as ext_attrs_text,
        -- numerics as typed
        {{ clean_text('points_balance') }} as points_balance_text,
        -- timestamps as typed
        {{ clean_text('subscribe_time') }} as subscribe_time_text,
        {{ clean_text('updated_at') }} as updated_at_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from members
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        unionid,
        mobile_text,
        {{ parse_mobile('mobile_text', cleaned=true) }} as mobile,
        nickname,
        gender_text,
        {{ clean_code('gender_text', 'upper') }} as gender_code,
        member_level_text,
        {{ clean_code('member_level_text', 'upper') }} as member_level,
        channel,
        ext_attrs_text,
        {{ try_cast_jsonb('ext_attrs_text') }} as ext_attrs_json,
        points_balance_text,
        {{ parse_integer('points_balance_text', cleaned=true) }} as points_balance,
        subscribe_time_text,
        {{ parse_legacy_timestamp('subscribe_time_text', cleaned=true) }} as subscribed_at,
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

objects as (
    select
        *,
        -- only a JSON object is a set of attributes; an array, a string or bad JSON is not
        case
            when jsonb_typeof(ext_attrs_json) = 'object' then ext_attrs_json
        end as ext_attrs
    from parsed
),

flagged as (
    select
        source_key,
        unionid,
        mobile_text,
        mobile,
        nickname,
        gender_text,
        gender_code,
        member_level_text,
        member_level,
        channel,
        ext_attrs_text,
        ext_attrs,
        points_balance_text,
        points_balance,
        subscribe_time_text,
        subscribed_at,
        updated_at_text,
        updated_at,
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        row_hash,
        -- the WeChat recency timestamp (sections 4 and 6)
        updated_at as recency_at,
        source_key is null as is_key_missing,
        mobile_text is not null and mobile is null as is_mobile_invalid,
        ext_attrs_text is not null and ext_attrs is null as is_ext_attrs_invalid,
        -- a missing balance is as invalid as a corrupt one
        points_balance is null as is_points_balance_invalid,
        subscribe_time_text is not null and subscribed_at is null as is_subscribe_time_invalid,
        updated_at_text is not null and updated_at is null as is_updated_at_invalid
    from objects
),

final as (
    select * from flagged
)

select * from final
