{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

converted_records as (
    select * from {{ ref('int_points_converted') }}
),

log_entries as (
    select * from {{ ref('int_points_log_entries') }}
),

cards as (
    select * from converted_records
    where source_table = 'pos_member_card'
),

card_log_sums as (
    select
        card_no,
        count(*) as log_entry_count,
        sum(legacy_points) as log_legacy_points,
        sum(points) as log_points
    from log_entries
    group by card_no
),

compared as (
    select
        -- ids
        cards.record_id,
        cards.member_id,
        cards.source_system,
        cards.source_table,
        cards.source_key as card_no,
        -- numerics
        cards.legacy_points,
        cards.points,
        cards.numerator,
        cards.denominator,
        coalesce(card_log_sums.log_entry_count, 0) as log_entry_count,
        coalesce(card_log_sums.log_legacy_points, 0)::bigint as log_legacy_points,
        coalesce(card_log_sums.log_points, 0)::bigint as log_points
    from cards
    left join card_log_sums
        on cards.source_key = card_log_sums.card_no
),

final as (
    select
        *,
        legacy_points - log_legacy_points as adjustment_legacy_points,
        points - log_points as adjustment_points,
        legacy_points <> log_legacy_points or points <> log_points as is_ledger_mismatch
    from compared
)

select * from final
