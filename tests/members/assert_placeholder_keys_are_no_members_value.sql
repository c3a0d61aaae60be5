-- A placeholder match key (held by more than max_records_per_match_key records) is not any
-- member's mobile, national ID, email or unionid (migration-rules.md section 5), and every
-- record holding one has its MATCH_KEY_OVERSHARED issue. Returns the violations.

with

match_keys as (
    select * from {{ ref('int_member_match_keys') }}
),

identities as (
    select * from {{ ref('member_identities') }}
),

issues as (
    select * from {{ ref('member_data_issues') }}
),

placeholders as (
    select distinct
        key_type,
        key_value
    from match_keys
    where is_overshared
),

member_values as (
    select
        member_id,
        'mobile' as key_type,
        mobile as key_value
    from identities
    union all
    select
        member_id,
        'id_card_no' as key_type,
        id_card_no as key_value
    from identities
    union all
    select
        member_id,
        'email' as key_type,
        email as key_value
    from identities
    union all
    select
        member_id,
        'unionid' as key_type,
        unionid as key_value
    from identities
),

used_placeholders as (
    select
        member_values.member_id as subject,
        member_values.key_type,
        'placeholder used as a member value' as problem
    from member_values
    inner join placeholders
        on
            member_values.key_type = placeholders.key_type
            and member_values.key_value = placeholders.key_value
),

missing_issues as (
    select
        match_keys.record_id as subject,
        match_keys.key_type,
        'MATCH_KEY_OVERSHARED issue missing' as problem
    from match_keys
    left join issues
        on
            match_keys.source_table = issues.source_table
            and match_keys.source_key = issues.source_key
            and issues.rule_code = 'MATCH_KEY_OVERSHARED'
            and match_keys.key_column_name = issues.column_name
    where
        match_keys.is_overshared
        and issues.issue_id is null
),

final as (
    select * from used_placeholders
    union all
    select * from missing_issues
)

select * from final
