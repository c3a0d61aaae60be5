with

match_keys as (
    select * from {{ ref('int_member_match_keys') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

golden_members as (
    select * from {{ ref('int_members_golden') }}
),

overshared_keys as (
    select
        matched_records.member_id,
        match_keys.source_system,
        match_keys.source_table,
        match_keys.source_key,
        'MATCH_KEY_OVERSHARED' as rule_code,
        match_keys.key_column_name as column_name,
        match_keys.key_value as raw_value
    from match_keys
    inner join matched_records
        on match_keys.record_id = matched_records.record_id
    where match_keys.is_overshared
),

identity_conflicts as (
    select
        matched_records.member_id,
        matched_records.source_system,
        matched_records.source_table,
        matched_records.source_key,
        'IDENTITY_CONFLICT' as rule_code,
        'id_card_no' as column_name,
        matched_records.id_card_no as raw_value
    from matched_records
    inner join golden_members
        on matched_records.member_id = golden_members.member_id
    where
        golden_members.has_identity_conflict
        and matched_records.id_card_no is not null
),

unioned as (
    select * from overshared_keys
    union all
    select * from identity_conflicts
),

final as (
    select * from unioned
)

select * from final
