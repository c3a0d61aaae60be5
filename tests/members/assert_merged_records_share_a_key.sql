-- A member's records are linked only through usable match keys (migration-rules.md
-- section 5): in a member of several records, every record holds at least one
-- non-placeholder key value that another record of the same member holds too (a record
-- with no usable key is a member of its own). Returns records merged without such a key.

with

match_keys as (
    select * from {{ ref('int_member_match_keys') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

member_sizes as (
    select
        member_id,
        count(*) as record_count
    from matched_records
    group by member_id
),

keys_of_members as (
    select
        matched_records.member_id,
        match_keys.record_id,
        match_keys.key_type,
        match_keys.key_value
    from match_keys
    inner join matched_records
        on match_keys.record_id = matched_records.record_id
    where not match_keys.is_overshared
),

records_with_shared_key as (
    select distinct own_keys.record_id
    from keys_of_members as own_keys
    inner join keys_of_members as other_keys
        on
            own_keys.member_id = other_keys.member_id
            and own_keys.key_type = other_keys.key_type
            and own_keys.key_value = other_keys.key_value
            and own_keys.record_id <> other_keys.record_id
),

final as (
    select
        matched_records.member_id,
        matched_records.record_id
    from matched_records
    inner join member_sizes
        on matched_records.member_id = member_sizes.member_id
    left join records_with_shared_key
        on matched_records.record_id = records_with_shared_key.record_id
    where
        member_sizes.record_count > 1
        and records_with_shared_key.record_id is null
)

select * from final
