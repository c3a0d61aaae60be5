{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

log_records as (
    select * from {{ ref('int_points_log_records') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

points_conversion as (
    select * from {{ ref('points_conversion') }}
),

cards as (
    select
        member_id,
        source_system,
        source_key as card_no
    from matched_records
    where source_table = 'pos_member_card'
),

converted as (
    select
        -- ids
        log_records.source_key as log_id,
        log_records.card_no,
        cards.member_id,
        cards.source_system,
        -- strings
        log_records.change_type,
        log_records.order_ref,
        -- numerics
        log_records.points_delta as legacy_points,
        floor(
            log_records.points_delta::numeric * points_conversion.numerator / points_conversion.denominator
        )::bigint as points,
        points_conversion.numerator,
        points_conversion.denominator,
        -- timestamps
        log_records.occurred_at
    from log_records
    left join cards
        on log_records.card_no = cards.card_no
    left join points_conversion
        on points_conversion.source_system = 'pos'
),

final as (
    select
        *,
        legacy_points - points * denominator / numerator as residual_legacy_points
    from converted
)

select * from final
