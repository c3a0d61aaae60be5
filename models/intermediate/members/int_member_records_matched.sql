{{
    config(
        pre_hook=["set local work_mem = '{{ var(\"large_model_work_mem\", \"256MB\") }}'"],
        post_hook=['analyze {{ this }}'],
        indexes=[
            {'columns': ['record_id'], 'unique': true},
            {'columns': ['member_id']},
        ],
    )
}}

with

member_records as not materialized (
    -- read twice (narrow for the ranking, wide for the output): keep it inlined so the
    -- planner sees the table and its statistics
    select * from {{ ref('int_member_records') }}
),

components as (
    select * from {{ ref('int_member_components') }}
),

match_keys as (
    select * from {{ ref('int_member_match_keys') }}
),

overshared_keys as (
    select
        record_id,
        bool_or(key_type = 'mobile') as is_mobile_overshared,
        bool_or(key_type = 'id_card_no') as is_id_card_no_overshared,
        bool_or(key_type = 'unionid') as is_unionid_overshared,
        bool_or(key_type = 'email') as is_email_overshared
    from match_keys
    where is_overshared
    group by record_id
),

anchored as (
    -- a record without a linking key is a component (a member) of its own
    select
        member_records.record_id,
        coalesce(components.anchor_record_id, member_records.record_id) as anchor_record_id,
        member_records.recency_at,
        member_records.source_order,
        member_records.source_key
    from member_records
    left join components
        on member_records.record_id = components.record_id
),

ranked as (
    -- survivorship order: recency (newest first, none last), then source, then source key in
    -- code-point order
    select
        {{ member_id_from_anchor('anchor_record_id') }} as member_id,
        record_id,
        anchor_record_id,
        row_number() over (
            partition by anchor_record_id
            order by recency_at desc nulls last, source_order asc, source_key collate "C" asc
        ) as survivorship_rank
    from anchored
),

matched as (
    select
        -- ids
        ranked.member_id,
        member_records.record_id,
        ranked.anchor_record_id,
        member_records.source_system,
        member_records.source_table,
        member_records.source_key,
        -- strings (a placeholder match key is no member's value)
        member_records.member_name,
        case when not coalesce(overshared_keys.is_mobile_overshared, false) then member_records.mobile end as mobile,
        case
            when not coalesce(overshared_keys.is_id_card_no_overshared, false) then member_records.id_card_no
        end as id_card_no,
        case when not coalesce(overshared_keys.is_email_overshared, false) then member_records.email end as email,
        case when not coalesce(overshared_keys.is_unionid_overshared, false) then member_records.unionid end as unionid,
        member_records.gender,
        member_records.tier_code,
        member_records.status,
        member_records.nickname,
        member_records.province,
        member_records.city,
        member_records.ext_attrs,
        -- numerics
        member_records.source_order,
        ranked.survivorship_rank,
        member_records.tier_rank,
        member_records.legacy_points,
        member_records.stored_value,
        -- booleans
        member_records.record_id = ranked.anchor_record_id as is_anchor_record,
        overshared_keys.record_id is not null as has_overshared_key,
        -- dates
        member_records.birthday,
        -- timestamps
        member_records.recency_at,
        member_records.register_at
    from member_records
    inner join ranked
        on member_records.record_id = ranked.record_id
    left join overshared_keys
        on member_records.record_id = overshared_keys.record_id
),

final as (
    select * from matched
)

select * from final
