-- Records sharing a usable match key (not a placeholder) are the same person
-- (migration-rules.md section 5): every key value of a key type held by several records
-- must sit in exactly one member. Returns the key values split across members.

with

match_keys as (
    select * from {{ ref('int_member_match_keys') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

split_keys as (
    select
        match_keys.key_type,
        match_keys.key_value,
        count(distinct matched_records.member_id) as member_count
    from match_keys
    inner join matched_records
        on match_keys.record_id = matched_records.record_id
    where not match_keys.is_overshared
    group by match_keys.key_type, match_keys.key_value
    having count(distinct matched_records.member_id) > 1
),

final as (
    select * from split_keys
)

select * from final
