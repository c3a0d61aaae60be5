{%- set contract_columns = legacy_columns('mall_user') -%}

with

users as (
    select * from {{ source('mall', 'mall_user') }}
),

cleaned as (
    select
        -- key
        {{ clean_text('user_id') }} as source_key,
        -- strings (cleaned text kept where an issue row needs the value as typed)
        {{ clean_text('phone') }} as phone_text,
        {{ clean_text('email') }} as email_text,
        {{ clean_text('wx_unionid') }} as unionid,
        {{ clean_name('real_name') }} as member_name,
        {{ clean_text('nick_name') }} as nickname,
        {{ clean_text('gender') }} as gender_text,
        {{ clean_text('level') }} as level_text,
        {{ clean_text('is_deleted') }} as is_deleted_text,
        {{ clean_text('province') }} as province_text,
        {{ clean_text('city') }} as city_text,
        -- numerics as typed
        {{ clean_text('integral') }} as integral_text,
        -- dates and timestamps as typed
        {{ clean_text('birth_date') }} as birth_date_text,
        {{ clean_text('reg_time') }} as reg_time_text,
        {{ clean_text('last_login_at') }} as last_login_at_text,
        -- lineage
        _batch_id,
        _source_file,
        _record_number,
        _loaded_at,
        {{ legacy_row_hash(contract_columns) }} as row_hash
    from users
    -- compute every cleaned value once: the parsing below reads each several times
    {{ optimization_fence() }}
),

parsed as (
    select
        source_key,
        phone_text,
        {{ parse_mobile('phone_text', cleaned=true) }} as mobile,
        email_text,
        {{ parse_email('email_text', cleaned=true) }} as email,
        unionid,
        member_name,
        nickname,
        gender_text,
        -- the contract spells mall genders in lower case (male, female, unknown)
        {{ clean_code('gender_text', 'lower') }} as gender_code,
        level_text,
        {{ clean_code('level_text', 'upper') }} as level,
        is_deleted_text,
        province_text,
        city_text,
        integral_text,
        {{ parse_integer('integral_text', cleaned=true) }} as integral,
        birth_date_text,
        {{ parse_legacy_date('birth_date_text', cleaned=true) }} as birthday,
        reg_time_text,
        {{ parse_legacy_timestamp('reg_time_text', cleaned=true) }} as registered_at,
        last_login_at_text,
        {{ parse_legacy_timestamp('last_login_at_text', cleaned=true) }} as last_login_at,
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
        -- the mall recency timestamp: last login, else registration (sections 4 and 6)
        coalesce(last_login_at, registered_at) as recency_at,
        source_key is null as is_key_missing,
        phone_text is not null and mobile is null as is_phone_invalid,
        email_text is not null and email is null as is_email_invalid,
        -- a missing balance is as invalid as a corrupt one
        integral is null as is_integral_invalid,
        birth_date_text is not null and birthday is null as is_birth_date_invalid,
        reg_time_text is not null and registered_at is null as is_reg_time_invalid,
        last_login_at_text is not null and last_login_at is null as is_last_login_at_invalid
    from parsed
),

final as (
    select * from flagged
)

select * from final
