{#-
    The winning version of every member record of the three systems (including the ones that
    will be quarantined, and key-less rows) in one shape, with every seed lookup done and every
    rule of migration-rules.md sections 2-3 evaluated as a flag. The `*_column` / `*_text`
    pairs name the legacy column and keep its cleaned text for the issue rows.
-#}

{#-
    Every join here is an equality lookup of a small seed. The planner cannot estimate the
    joins on the union's constant source_system and on coalesced tier codes, guesses a few
    hundred rows for the 1.5 million of a million persons, and then loops over region_aliases
    for each row (117 s at 1M; 9 s with hash joins, the same rows): no nested loops here.
-#}
{{
    config(
        pre_hook=["set local enable_nestloop = off"],
    )
}}

with

pos_cards as (
    select * from {{ ref('int_pos_member_cards_versioned') }}
    where is_winner
),

mall_users as (
    select * from {{ ref('int_mall_users_versioned') }}
    where is_winner
),

wechat_members as (
    select * from {{ ref('int_wechat_members_versioned') }}
    where is_winner
),

source_systems as (
    select * from {{ ref('source_systems') }}
),

tiers as (
    select * from {{ ref('tiers') }}
),

tier_mapping as (
    select * from {{ ref('tier_mapping') }}
),

gender_mapping as (
    select * from {{ ref('gender_mapping') }}
),

region_aliases as (
    select * from {{ ref('region_aliases') }}
),

pos_shaped as (
    select
        -- ids
        'pos' as source_system,
        'pos_member_card' as source_table,
        source_key,
        'card_no' as key_column,
        -- identity
        member_name,
        'mobile' as mobile_column,
        mobile_text,
        mobile,
        id_card_no_text,
        id_card_no,
        cast(null as text) as email_text,
        cast(null as text) as email,
        cast(null as text) as unionid,
        gender_text,
        gender_code,
        'birthday' as birthday_column,
        birthday_text,
        birthday as birthday_parsed,
        is_birthday_invalid,
        -- registration and recency
        'open_date' as registration_column,
        open_date_text as registration_text,
        opened_at as registered_at,
        is_open_date_invalid as is_registration_invalid,
        'updated_at' as recency_column,
        updated_at_text as recency_text,
        is_updated_at_invalid as is_recency_invalid,
        recency_at,
        -- tier and status
        'tier_name' as tier_column,
        tier_name_text as tier_text,
        tier_name as tier_lookup_value,
        status_text,
        case status_code
            when 'A' then 'active'
            when 'B' then 'frozen'
            when 'C' then 'closed'
        end as status,
        is_status_invalid,
        -- balances
        'points' as points_column,
        points_text,
        points as legacy_points,
        is_points_invalid,
        stored_value_text,
        -- a missing stored value is 0 (migration-rules.md section 2)
        cast(
            case
                when stored_value_text is null then 0.00
                else stored_value
            end as numeric(14, 2)
        ) as stored_value,
        is_stored_value_invalid,
        -- profile
        nickname,
        province_text,
        city_text,
        cast(null as text) as ext_attrs_text,
        cast(null as jsonb) as ext_attrs,
        false as is_ext_attrs_invalid,
        -- lineage
        collapsed_copies,
        _batch_id,
        _source_file,
        _record_number
    from pos_cards
),

mall_shaped as (
    select
        -- ids
        'mall' as source_system,
        'mall_user' as source_table,
        source_key,
        'user_id' as key_column,
        -- identity
        member_name,
        'phone' as mobile_column,
        phone_text as mobile_text,
        mobile,
        cast(null as text) as id_card_no_text,
        cast(null as text) as id_card_no,
        email_text,
        email,
        unionid,
        gender_text,
        gender_code,
        'birth_date' as birthday_column,
        birth_date_text as birthday_text,
        birthday as birthday_parsed,
        is_birth_date_invalid as is_birthday_invalid,
        -- registration and recency
        'reg_time' as registration_column,
        reg_time_text as registration_text,
        registered_at,
        is_reg_time_invalid as is_registration_invalid,
        'last_login_at' as recency_column,
        last_login_at_text as recency_text,
        is_last_login_at_invalid as is_recency_invalid,
        recency_at,
        -- tier and status
        'level' as tier_column,
        level_text as tier_text,
        level as tier_lookup_value,
        cast(null as text) as status_text,
        -- is_deleted 1 is a closed account, anything else active (section 8)
        case
            when is_deleted_text = '1' then 'closed'
            else 'active'
        end as status,
        false as is_status_invalid,
        -- balances
        'integral' as points_column,
        integral_text as points_text,
        integral as legacy_points,
        is_integral_invalid as is_points_invalid,
        cast(null as text) as stored_value_text,
        cast(0.00 as numeric(14, 2)) as stored_value,
        false as is_stored_value_invalid,
        -- profile
        nickname,
        province_text,
        city_text,
        cast(null as text) as ext_attrs_text,
        cast(null as jsonb) as ext_attrs,
        false as is_ext_attrs_invalid,
        -- lineage
        collapsed_copies,
        _batch_id,
        _source_file,
        _record_number
    from mall_users
),

wechat_shaped as (
    select
        -- ids
        'wechat' as source_system,
        'wechat_member' as source_table,
        source_key,
        'openid' as key_column,
        -- identity (a WeChat nickname is not a name)
        cast(null as text) as member_name,
        'mobile' as mobile_column,
        mobile_text,
        mobile,
        cast(null as text) as id_card_no_text,
        cast(null as text) as id_card_no,
        cast(null as text) as email_text,
        cast(null as text) as email,
        unionid,
        gender_text,
        gender_code,
        cast(null as text) as birthday_column,
        cast(null as text) as birthday_text,
        cast(null as date) as birthday_parsed,
        false as is_birthday_invalid,
        -- registration and recency
        'subscribe_time' as registration_column,
        subscribe_time_text as registration_text,
        subscribed_at as registered_at,
        is_subscribe_time_invalid as is_registration_invalid,
        'updated_at' as recency_column,
        updated_at_text as recency_text,
        is_updated_at_invalid as is_recency_invalid,
        recency_at,
        -- tier and status: WeChat members are active
        'member_level' as tier_column,
        member_level_text as tier_text,
        member_level as tier_lookup_value,
        cast(null as text) as status_text,
        'active' as status,
        false as is_status_invalid,
        -- balances
        'points_balance' as points_column,
        points_balance_text as points_text,
        points_balance as legacy_points,
        is_points_balance_invalid as is_points_invalid,
        cast(null as text) as stored_value_text,
        cast(0.00 as numeric(14, 2)) as stored_value,
        false as is_stored_value_invalid,
        -- profile
        nickname,
        cast(null as text) as province_text,
        cast(null as text) as city_text,
        ext_attrs_text,
        ext_attrs,
        is_ext_attrs_invalid,
        -- lineage
        collapsed_copies,
        _batch_id,
        _source_file,
        _record_number
    from wechat_members
),

unioned as (
    select * from pos_shaped
    union all
    select * from mall_shaped
    union all
    select * from wechat_shaped
),

-- the tier every record without a mapped tier gets: the lowest-ranked one (T1)
default_tier as (
    select tier_code
    from tiers
    order by tier_rank
    limit 1
),

province_aliases as (
    select * from region_aliases
    where alias_type = 'province'
),

city_aliases as (
    select * from region_aliases
    where alias_type = 'city'
),

looked_up as (
    select
        unioned.*,
        source_systems.source_order,
        -- a system's launch day starts at midnight Beijing time
        cast(source_systems.launched_on as timestamp) at time zone '{{ var("legacy_timezone") }}'
            as launched_at,
        tier_mapping.tier_code as mapped_tier_code,
        gender_mapping.gender as mapped_gender,
        province_aliases.alias is not null as is_province_mapped,
        province_aliases.province as province_from_province,
        province_aliases.city as city_from_province,
        city_aliases.alias is not null as is_city_mapped,
        city_aliases.province as province_from_city,
        city_aliases.city as city_from_city
    from unioned
    inner join source_systems
        on unioned.source_system = source_systems.source_system
    left join tier_mapping
        on
            unioned.source_system = tier_mapping.source_system
            and unioned.tier_lookup_value = tier_mapping.legacy_value
    left join gender_mapping
        on
            unioned.source_system = gender_mapping.source_system
            and unioned.gender_code = gender_mapping.legacy_value
    left join province_aliases
        on unioned.province_text = province_aliases.alias
    left join city_aliases
        on unioned.city_text = city_aliases.alias
),

mapped as (
    select
        looked_up.*,
        -- tier: the mapped tier; missing or unmapped is the default tier (T1)
        coalesce(looked_up.mapped_tier_code, default_tier.tier_code) as tier_code,
        looked_up.tier_text is not null
        and looked_up.mapped_tier_code is null as is_tier_unmapped,
        -- gender: null when missing, U when present but not in the seed
        case
            when looked_up.gender_text is null then null
            else coalesce(looked_up.mapped_gender, 'U')
        end as gender,
        looked_up.gender_text is not null
        and looked_up.mapped_gender is null as is_gender_unmapped,
        -- region: province from the province value, else from the city value's entry;
        -- city from the city value, else the municipality the province value names
        case
            when looked_up.province_text is not null then looked_up.province_from_province
            when looked_up.city_text is not null then looked_up.province_from_city
        end as province,
        case
            when looked_up.city_text is not null then looked_up.city_from_city
            when looked_up.province_text is not null then looked_up.city_from_province
        end as city,
        looked_up.province_text is not null
        and not looked_up.is_province_mapped as is_province_unmapped,
        looked_up.city_text is not null
        and not looked_up.is_city_mapped as is_city_unmapped,
        -- birthday: a real date outside [1900-01-01, as-of date] is a warning and null
        looked_up.birthday_parsed is not null
        and (
            looked_up.birthday_parsed < date '{{ var("earliest_birthday", "1900-01-01") }}'
            or looked_up.birthday_parsed > {{ as_of_date() }}
        ) as is_birthday_out_of_range,
        -- registration: before the system's launch or after the as-of instant is unusable
        looked_up.registered_at < looked_up.launched_at as is_registered_before_launch,
        looked_up.registered_at > {{ as_of_instant() }} as is_registered_in_future,
        looked_up.legacy_points < 0 as is_points_negative
    from looked_up
    cross join default_tier
),

final as (
    select
        -- ids
        mapped.source_system || ':' || mapped.source_key as record_id,
        mapped.source_system,
        mapped.source_table,
        mapped.source_key,
        mapped.key_column,
        mapped.source_order,
        -- identity
        mapped.member_name,
        mapped.mobile_column,
        mapped.mobile_text,
        mapped.mobile,
        mapped.id_card_no_text,
        mapped.id_card_no,
        mapped.email_text,
        mapped.email,
        mapped.unionid,
        mapped.gender_text,
        mapped.gender,
        mapped.birthday_column,
        mapped.birthday_text,
        mapped.birthday_parsed,
        case
            when not coalesce(mapped.is_birthday_out_of_range, false) then mapped.birthday_parsed
        end as birthday,
        -- tier, status, balances
        mapped.tier_column,
        mapped.tier_text,
        mapped.tier_code,
        tiers.tier_rank,
        mapped.status_text,
        mapped.status,
        mapped.points_column,
        mapped.points_text,
        mapped.legacy_points,
        mapped.stored_value_text,
        mapped.stored_value,
        -- profile
        mapped.nickname,
        mapped.province_text,
        mapped.city_text,
        mapped.province,
        mapped.city,
        mapped.ext_attrs_text,
        mapped.ext_attrs,
        -- rule flags (migration-rules.md section 3)
        mapped.source_key is null as is_key_missing,
        mapped.is_points_invalid,
        mapped.is_stored_value_invalid,
        mapped.is_status_invalid,
        mapped.mobile_text is not null and mapped.mobile is null as is_mobile_invalid,
        mapped.id_card_no_text is not null
        and mapped.id_card_no is null as is_id_card_invalid,
        mapped.email_text is not null and mapped.email is null as is_email_invalid,
        mapped.is_birthday_invalid,
        mapped.is_registration_invalid,
        mapped.is_recency_invalid,
        coalesce(mapped.is_birthday_out_of_range, false) as is_birthday_out_of_range,
        coalesce(mapped.is_registered_before_launch, false) as is_registered_before_launch,
        coalesce(mapped.is_registered_in_future, false) as is_registered_in_future,
        mapped.is_tier_unmapped,
        mapped.is_gender_unmapped,
        mapped.is_province_unmapped,
        mapped.is_city_unmapped,
        coalesce(mapped.is_points_negative, false) as is_points_negative,
        mapped.collapsed_copies > 0 as is_duplicate_survivor,
        mapped.is_ext_attrs_invalid,
        mapped.collapsed_copies,
        -- registration and recency
        mapped.registration_column,
        mapped.registration_text,
        mapped.registered_at,
        case
            when
                not coalesce(mapped.is_registered_before_launch, false)
                and not coalesce(mapped.is_registered_in_future, false)
                then mapped.registered_at
        end as register_at,
        mapped.recency_column,
        mapped.recency_text,
        mapped.recency_at,
        -- lineage
        mapped._batch_id,
        mapped._source_file,
        mapped._record_number
    from mapped
    inner join tiers
        on mapped.tier_code = tiers.tier_code
)

select * from final
