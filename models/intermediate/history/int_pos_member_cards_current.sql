{#-
    The current (winning) version of every keyed pos_member_card row, as the legacy system
    last said it: the source of the snapshot snap_pos_member_card. A row without a key cannot be
    followed through time and stays out (it is quarantined as KEY_MISSING).
-#}
with

versioned as (
    select * from {{ ref('int_pos_member_cards_versioned') }}
),

current_rows as (
    select
        'pos_member_card' as source_table,
        source_key,
        row_hash,
        _batch_id,
        _source_file,
        _record_number
    from versioned
    where is_winner and source_key is not null
),

-- the row as loaded, rebuilt from raw (the versioned table does not carry it)
current_as_loaded as (
    {{ with_raw_record('current_rows', ['pos_member_card']) }}
),

final as (
    select
        source_key,
        row_hash,
        raw_record as legacy_record,
        _batch_id,
        _source_file,
        _record_number
    from current_as_loaded
)

select * from final
