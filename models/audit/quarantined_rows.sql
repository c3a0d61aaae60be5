with

quarantined as (
    select * from {{ ref('int_rows_quarantined') }}
),

final as (
    select
        source_table,
        source_key,
        rule_codes,
        raw_record,
        _batch_id as batch_id,
        _source_file as source_file,
        _record_number as record_number
    from quarantined
)

select * from final
