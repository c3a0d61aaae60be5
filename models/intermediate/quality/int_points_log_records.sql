with

winning_rows as (
    select * from {{ ref('int_pos_points_log_versioned') }}
    where is_winner
),

quarantined as (
    select * from {{ ref('int_rows_quarantined') }}
    where source_table = 'pos_points_log'
),

change_type_mapping as (
    select * from {{ ref('change_type_mapping') }}
),

migrated as (
    select winning_rows.*
    from winning_rows
    left join quarantined
        on
            winning_rows._batch_id = quarantined._batch_id
            and winning_rows._record_number = quarantined._record_number
    where quarantined.source_table is null
),

final as (
    select
        -- ids
        migrated.source_key,
        migrated.card_no,
        migrated.order_ref,
        -- strings: the canonical type, or the cleaned legacy value when the seed has none
        coalesce(change_type_mapping.change_type, migrated.change_type) as change_type,
        -- numerics
        migrated.points_delta,
        -- timestamps (null when invalid: the DATE_INVALID issue row keeps the raw value)
        migrated.occurred_at,
        -- lineage
        migrated._batch_id,
        migrated._source_file,
        migrated._record_number
    from migrated
    left join change_type_mapping
        on migrated.change_type = change_type_mapping.legacy_value
)

select * from final
