{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

points_conversion as (
    select * from {{ ref('points_conversion') }}
),

converted as (
    select
        -- ids
        matched_records.record_id,
        matched_records.member_id,
        matched_records.source_system,
        matched_records.source_table,
        matched_records.source_key,
        -- numerics
        matched_records.legacy_points,
        points_conversion.numerator,
        points_conversion.denominator,
        floor(
            matched_records.legacy_points::numeric * points_conversion.numerator / points_conversion.denominator
        )::bigint as points
    from matched_records
    left join points_conversion
        on matched_records.source_system = points_conversion.source_system
),

final as (
    select
        *,
        -- the remainder in legacy units: legacy = points * denominator / numerator + residual
        -- (whole numbers while denominator is a multiple of numerator, as in the seed;
        -- tests/points/assert_ledger_entries_convert_exactly.sql fails otherwise)
        legacy_points - points * denominator / numerator as residual_legacy_points
    from converted
)

select * from final
