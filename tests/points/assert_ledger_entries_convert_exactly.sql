-- Every ledger entry converts exactly: legacy_points = points * denominator / numerator +
-- residual_legacy_points, in exact arithmetic (migration-rules.md section 7: legacy =
-- converted + residual, nothing rounded away); log entries and openings also take
-- points = floor(legacy_points * numerator / denominator). Returns the entries that do not.

with

ledger as (
    select * from {{ ref('fct_points_ledger') }}
),

points_conversion as (
    select * from {{ ref('points_conversion') }}
),

checked as (
    select
        ledger.ledger_entry_id,
        ledger.entry_type,
        ledger.points,
        ledger.legacy_points,
        ledger.residual_legacy_points,
        points_conversion.numerator,
        points_conversion.denominator
    from ledger
    left join points_conversion
        on ledger.source_system = points_conversion.source_system
),

final as (
    select * from checked
    where
        numerator is null
        or legacy_points::numeric
        <> points::numeric * denominator / numerator + residual_legacy_points
        or (
            entry_type is distinct from 'MIGRATION_ADJUSTMENT'
            and points <> floor(legacy_points::numeric * numerator / denominator)
        )
)

select * from final
