-- Nothing is lost (migration-rules.md section 1): every row loaded into raw has exactly one
-- row in int_row_outcomes, and int_row_outcomes holds nothing that was not loaded.
-- Fails with the raw rows that have no outcome, more than one, or an outcome without a row.
{%- set raw_tables = legacy_source_tables() %}

with

raw_rows as (
    {%- for source_name, table_name in raw_tables %}
        select
            '{{ table_name }}' as source_table,
            _batch_id,
            _record_number,
            true as is_raw
        from {{ source(source_name, table_name) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

outcomes as (
    select
        source_table,
        _batch_id,
        _record_number,
        false as is_raw
    from {{ ref('int_row_outcomes') }}
),

-- one pass over both sides (a single aggregation, not two and a full join: at a million
-- persons each side has six million rows)
counted as (
    select
        source_table,
        _batch_id,
        _record_number,
        count(*) filter (where is_raw) as raw_count,
        count(*) filter (where not is_raw) as outcome_count
    from (
        select * from raw_rows
        union all
        select * from outcomes
    ) as both_sides
    group by source_table, _batch_id, _record_number
),

final as (
    select * from counted
)

select * from final
where raw_count != 1 or outcome_count != 1
