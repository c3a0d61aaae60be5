{%- set source_tables = [
    'pos_member_card', 'pos_points_log', 'pos_transaction',
    'mall_user', 'mall_order', 'mall_coupon', 'wechat_member',
] -%}

with

violations as (
    select * from {{ ref('int_row_violations') }}
),

-- a row is quarantined when it broke at least one reject rule; its rule_codes then list
-- every rule it broke, reject and warn alike
rejected as (
    select
        source_table,
        _batch_id,
        _record_number,
        min(source_system) as source_system,
        min(source_key) as source_key,
        cast(array_agg(distinct rule_code order by rule_code) as text[]) as rule_codes
    from violations
    group by source_table, _batch_id, _record_number
    having bool_or(severity = 'reject')
),

-- the row as loaded, rebuilt from raw for the quarantined rows only
rejected_as_loaded as (
    {{ with_raw_record('rejected', source_tables, raw_columns=['_source_file']) }}
),

final as (
    select
        source_table,
        source_system,
        source_key,
        rule_codes,
        raw_record,
        _batch_id,
        _source_file,
        _record_number
    from rejected_as_loaded
)

select * from final
