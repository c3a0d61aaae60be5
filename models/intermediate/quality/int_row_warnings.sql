with

violations as (
    select * from {{ ref('int_row_violations') }}
),

quarantined as (
    select * from {{ ref('int_rows_quarantined') }}
),

final as (
    select
        violations.violation_id,
        violations.source_table,
        violations.source_system,
        violations.source_key,
        violations.member_source_table,
        violations.member_source_key,
        violations.rule_code,
        violations.column_name,
        violations.raw_value,
        violations._batch_id,
        violations._record_number
    from violations
    left join quarantined
        on
            violations.source_table = quarantined.source_table
            and violations._batch_id = quarantined._batch_id
            and violations._record_number = quarantined._record_number
    where
        violations.severity = 'warn'
        and quarantined.source_table is null
)

select * from final
