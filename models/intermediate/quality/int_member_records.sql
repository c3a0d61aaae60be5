with

member_rows as (
    select * from {{ ref('int_member_rows_checked') }}
),

quarantined as (
    select * from {{ ref('int_rows_quarantined') }}
),

migrated as (
    select member_rows.*
    from member_rows
    left join quarantined
        on
            member_rows.source_table = quarantined.source_table
            and member_rows._batch_id = quarantined._batch_id
            and member_rows._record_number = quarantined._record_number
    where quarantined.source_table is null
),

final as (
    select
        -- ids
        record_id,
        source_system,
        source_table,
        source_key,
        source_order,
        -- identity (valid values only; an invalid one is null and has its issue row)
        member_name,
        mobile,
        id_card_no,
        email,
        unionid,
        gender,
        birthday,
        -- tier, status, balances
        tier_code,
        tier_rank,
        status,
        legacy_points,
        stored_value,
        -- profile
        nickname,
        province,
        city,
        ext_attrs,
        -- timestamps
        register_at,
        recency_at,
        -- lineage
        _batch_id,
        _source_file,
        _record_number
    from migrated
)

select * from final
