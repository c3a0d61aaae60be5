-- The staging models read the raw tables through macro legacy_columns(), which mirrors
-- src/member_migration/contract.py (the loader's column lists). Fails with every contract or
-- lineage column missing from a raw table, and every raw column the contract does not know,
-- so the two lists can never drift apart silently.
{%- set raw_tables = legacy_source_tables() %}

with

expected as (
    {%- for source_name, table_name in raw_tables %}
        {%- set relation = source(source_name, table_name) %}
        {%- for column in legacy_columns(table_name) + legacy_lineage_columns() %}
            select
                '{{ relation.schema }}' as table_schema,
                '{{ table_name }}' as table_name,
                '{{ column }}' as column_name
            {% if not (loop.last) %}union all{% endif %}
        {%- endfor %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

actual as (
    select
        table_schema,
        table_name,
        column_name
    from information_schema.columns
    where
        (table_schema, table_name) in (
            {%- for source_name, table_name in raw_tables %}
                ('{{ source(source_name, table_name).schema }}', '{{ table_name }}'){{ ',' if not loop.last }}
            {%- endfor %}
        )
),

final as (
    select
        coalesce(expected.table_name, actual.table_name) as table_name,
        coalesce(expected.column_name, actual.column_name) as column_name,
        case
            when actual.column_name is null then 'missing from raw'
            else 'not in the contract'
        end as problem
    from expected
    full outer join actual
        on
            expected.table_schema = actual.table_schema
            and expected.table_name = actual.table_name
            and expected.column_name = actual.column_name
    where expected.column_name is null or actual.column_name is null
)

select * from final
