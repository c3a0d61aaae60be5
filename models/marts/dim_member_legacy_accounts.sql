with

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

final as (
    select
        -- ids
        record_id::text as legacy_account_id,
        member_id::text as member_id,
        source_system::text as source_system,
        source_table::text as source_table,
        source_key::text as source_key,
        -- numerics
        survivorship_rank::integer as survivorship_rank,
        -- booleans
        is_anchor_record::boolean as is_anchor_record
    from matched_records
)

select * from final
