{{ config(materialized='view') }}

with

match_keys as (
    select * from {{ ref('int_member_match_keys') }}
),

linking_keys as (
    select
        record_num,
        key_group_num as group_num
    from match_keys
    where
        not is_overshared
        and key_record_count > 1
),

final as (
    select * from linking_keys
)

select * from final
