with

member_violations as (
    select * from {{ ref('int_member_row_violations') }}
),

child_violations as (
    select * from {{ ref('int_child_row_violations') }}
),

unioned as (
    select * from member_violations
    union all
    select * from child_violations
),

final as (
    select
        concat_ws(
            ':', source_table, _batch_id, _record_number, rule_code, coalesce(column_name, '')
        ) as violation_id,
        source_table,
        source_system,
        source_key,
        member_source_table,
        member_source_key,
        rule_code,
        severity,
        column_name,
        raw_value,
        _batch_id,
        _record_number
    from unioned
)

select * from final
