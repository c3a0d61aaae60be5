{#-
    The current (winning) version of every keyed pos_member_card row, as the legacy system
    last said it: the source of the snapshot snap_pos_member_card. A row without a key cannot be
    followed through time and stays out (it is quarantined as KEY_MISSING).
-#}
with

versioned as (
    select * from {{ ref('int_pos_member_cards_versioned') }}
),

final as (
    select
        source_key,
        row_hash,
        raw_record as legacy_record,
        _batch_id,
        _source_file,
        _record_number
    from versioned
    where is_winner and source_key is not null
)

select * from final
