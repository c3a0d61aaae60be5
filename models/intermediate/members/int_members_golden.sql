{{
    config(
        pre_hook=["set local work_mem = '{{ var(\"large_model_work_mem\", \"256MB\") }}'"],
        post_hook=['analyze {{ this }}'],
        indexes=[{'columns': ['member_id'], 'unique': true}],
    )
}}

with

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

converted_records as (
    select * from {{ ref('int_points_converted') }}
),

tiers as (
    select * from {{ ref('tiers') }}
),

source_systems as (
    select * from {{ ref('source_systems') }}
),

member_records as (
    select
        matched_records.*,
        converted_records.points
    from matched_records
    inner join converted_records
        on matched_records.record_id = converted_records.record_id
),

first_ranks as (
    -- for each attribute, the survivorship_rank of the member's first record holding a value
    -- (survivorship order: recency newest first and none last, then source, then source key)
    select
        *,
        min(survivorship_rank) filter (where member_name is not null) over member_window as member_name_rank,
        min(survivorship_rank) filter (where mobile is not null) over member_window as mobile_rank,
        min(survivorship_rank) filter (where id_card_no is not null) over member_window as id_card_no_rank,
        min(survivorship_rank) filter (where email is not null) over member_window as email_rank,
        min(survivorship_rank) filter (where unionid is not null) over member_window as unionid_rank,
        min(survivorship_rank) filter (where gender in ('M', 'F')) over member_window as gender_rank,
        min(survivorship_rank) filter (where birthday is not null) over member_window as birthday_rank,
        min(survivorship_rank) filter (where nickname <> '') over member_window as nickname_rank,
        min(survivorship_rank) filter (where province is not null) over member_window as province_rank,
        max(tier_rank) over member_window as max_tier_rank,
        min(register_at) over member_window as first_register_at
    from member_records
    window member_window as (partition by member_id)
),

aggregated as (
    select
        member_id,
        min(anchor_record_id) as anchor_record_id,
        count(*)::integer as source_record_count,
        -- the value of the first record holding one
        max(member_name) filter (where survivorship_rank = member_name_rank) as member_name,
        max(mobile) filter (where survivorship_rank = mobile_rank) as mobile,
        max(id_card_no) filter (where survivorship_rank = id_card_no_rank) as id_card_no,
        min(id_card_no) <> max(id_card_no) as has_identity_conflict,
        max(email) filter (where survivorship_rank = email_rank) as email,
        max(unionid) filter (where survivorship_rank = unionid_rank) as unionid,
        max(gender) filter (where survivorship_rank = gender_rank) as stated_gender,
        bool_or(gender = 'U') as has_unknown_gender,
        max(birthday) filter (where survivorship_rank = birthday_rank) as stated_birthday,
        max(nickname) filter (where survivorship_rank = nickname_rank) as nickname,
        max(province) filter (where survivorship_rank = province_rank) as province,
        max(city) filter (where survivorship_rank = province_rank) as city,
        -- the earliest usable registration, and where it came from (tie: source order, key)
        min(first_register_at) as register_at,
        min(source_order) filter (where register_at = first_register_at) as first_source_order,
        -- the highest-ranked tier: a migration never demotes
        max(tier_code) filter (where tier_rank = max_tier_rank) as tier_code,
        case
            when bool_or(status = 'active') then 'active'
            when bool_or(status = 'frozen') then 'frozen'
            when bool_or(status = 'closed') then 'closed'
        end as status,
        sum(points) as points_balance,
        coalesce(sum(stored_value) filter (where source_table = 'pos_member_card'), 0) as stored_value_balance
    from first_ranks
    group by member_id
),

resolved as (
    select
        -- ids
        aggregated.member_id,
        aggregated.anchor_record_id,
        -- strings
        aggregated.tier_code,
        tiers.tier_name,
        aggregated.status,
        source_systems.source_system as first_source_system,
        coalesce(
            aggregated.nickname,
            '会员' || right(coalesce(aggregated.mobile, aggregated.member_id), 4)
        ) as nickname,
        case
            when aggregated.id_card_no is not null then {{ national_id_gender('aggregated.id_card_no') }}
            when aggregated.stated_gender is not null then aggregated.stated_gender
            when aggregated.has_unknown_gender then 'U'
        end as gender,
        aggregated.province,
        aggregated.city,
        aggregated.member_name,
        aggregated.mobile,
        aggregated.id_card_no,
        aggregated.email,
        aggregated.unionid,
        -- numerics
        tiers.tier_rank,
        aggregated.points_balance::bigint as points_balance,
        aggregated.stored_value_balance::numeric(14, 2) as stored_value_balance,
        aggregated.source_record_count,
        -- booleans
        coalesce(aggregated.has_identity_conflict, false) as has_identity_conflict,
        -- dates
        case
            when aggregated.id_card_no is not null then {{ national_id_birthday('aggregated.id_card_no') }}
            else aggregated.stated_birthday
        end as birthday,
        -- timestamps
        aggregated.register_at
    from aggregated
    left join tiers
        on aggregated.tier_code = tiers.tier_code
    left join source_systems
        on aggregated.first_source_order = source_systems.source_order
),

final as (
    select * from resolved
)

select * from final
