-- Nothing is lost (migration-rules.md section 1): every row loaded into raw has exactly one
-- row in int_row_outcomes, and int_row_outcomes holds nothing that was not loaded.
-- Fails with the raw rows that have no outcome, more than one, or an outcome without a row.
{%- set raw_tables = [
    ('pos', 'pos_member_card'),
    ('pos', 'pos_points_log'),
    ('pos', 'pos_transaction'),
    ('mall', 'mall_user'),
    ('mall', 'mall_order'),
    ('mall', 'mall_coupon'),
    ('wechat', 'wechat_member'),
] %}

with

raw_rows as (
    {%- for source_name, table_name in raw_tables %}
        select
            '{{ table_name }}' as source_table,
            _batch_id,
            _record_number
        from {{ source(source_name, table_name) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

outcomes as (
    select * from {{ ref('int_row_outcomes') }}
),

outcomes_per_row as (
    select
        source_table,
        _batch_id,
        _record_number,
        count(*) as outcome_count
    from outcomes
    group by source_table, _batch_id, _record_number
),

raw_per_row as (
    select
        source_table,
        _batch_id,
        _record_number,
        count(*) as raw_count
    from raw_rows
    group by source_table, _batch_id, _record_number
),

final as (
    select
        coalesce(raw_per_row.source_table, outcomes_per_row.source_table) as source_table,
        coalesce(raw_per_row._batch_id, outcomes_per_row._batch_id) as _batch_id,
        coalesce(raw_per_row._record_number, outcomes_per_row._record_number) as _record_number,
        coalesce(raw_per_row.raw_count, 0) as raw_count,
        coalesce(outcomes_per_row.outcome_count, 0) as outcome_count
    from raw_per_row
    full outer join outcomes_per_row
        on
            raw_per_row.source_table = outcomes_per_row.source_table
            and raw_per_row._batch_id = outcomes_per_row._batch_id
            and raw_per_row._record_number = outcomes_per_row._record_number
)

select * from final
where raw_count != 1 or outcome_count != 1
