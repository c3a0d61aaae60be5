-- audit.quarantined_rows holds each quarantined row once, and only rows that broke a rule
-- whose severity in seed quality_rules is reject; every code it lists is a known rule.
-- Fails with duplicated rows, rows without a reject code, and unknown codes.
with

quarantined as (
    select * from {{ ref('quarantined_rows') }}
),

quality_rules as (
    select * from {{ ref('quality_rules') }}
),

codes as (
    select
        quarantined.source_table,
        quarantined.batch_id,
        quarantined.record_number,
        listed.rule_code,
        quality_rules.severity
    from quarantined
    cross join lateral unnest(quarantined.rule_codes) as listed (rule_code)
    left join quality_rules
        on listed.rule_code = quality_rules.rule_code
),

per_row as (
    select
        source_table,
        batch_id,
        record_number,
        count(*) as row_count
    from quarantined
    group by source_table, batch_id, record_number
),

per_row_codes as (
    select
        source_table,
        batch_id,
        record_number,
        bool_or(severity = 'reject') as has_reject,
        bool_or(severity is null) as has_unknown_code
    from codes
    group by source_table, batch_id, record_number
),

final as (
    select
        per_row.source_table,
        per_row.batch_id,
        per_row.record_number,
        per_row.row_count,
        coalesce(per_row_codes.has_reject, false) as has_reject,
        coalesce(per_row_codes.has_unknown_code, false) as has_unknown_code
    from per_row
    left join per_row_codes
        on
            per_row.source_table = per_row_codes.source_table
            and per_row.batch_id = per_row_codes.batch_id
            and per_row.record_number = per_row_codes.record_number
)

select * from final
where row_count != 1 or not has_reject or has_unknown_code
