{#
    Row-level helpers for staging: a fingerprint of a legacy row as loaded (exact-duplicate
    detection, migration-rules.md section 4) and the row as loaded as one jsonb document
    (audit.quarantined_rows.raw_record), rebuilt from raw only for the rows that need it.
#}

{#-
    legacy_row_hash(columns): md5 over the listed columns exactly as loaded (before any
    cleaning). A null and an empty string hash differently; the column order is fixed.
    The text hashed is the row constructor's output, (a,,"",b), which quotes an empty string,
    and any value holding a comma, parenthesis, quote, backslash or space, and doubles the
    quotes and backslashes inside: two rows have the same text only when every column is the
    same, null included. (It costs a third of jsonb_build_array's text, which took 5 µs a
    member row: 21 s of a million persons' six million rows.)
-#}
{% macro legacy_row_hash(columns) -%}
    {{- return(adapter.dispatch('legacy_row_hash', 'member_migration')(columns)) -}}
{%- endmacro %}

{% macro default__legacy_row_hash(columns) -%}
    md5(cast(row(
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as text))
{%- endmacro %}


{#-
    legacy_raw_record(columns, relation=none): a jsonb object with each listed column (as
    loaded, text) and the loader's lineage columns, keyed by column name; `relation` qualifies
    the column references.
-#}
{% macro legacy_raw_record(columns, relation=none) -%}
    {{- return(adapter.dispatch('legacy_raw_record', 'member_migration')(columns, relation)) -}}
{%- endmacro %}

{% macro default__legacy_raw_record(columns, relation=none) -%}
    jsonb_build_object(
        {%- for column in columns + legacy_lineage_columns() %}
        '{{ column }}', {{ relation ~ '.' if relation }}{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}


{#-
    with_raw_record(rows, source_tables, raw_columns=[]): every row of `rows` (a relation or
    CTE with source_table, _batch_id and _record_number, one of `source_tables` each) with
    raw_record, the row as loaded (legacy_raw_record), joined back from its raw table by the
    raw grain (_batch_id, _record_number), plus the listed raw columns. The jsonb is built after
    the join, so only for the rows asked for: the versioned and checked tables do not carry it.
    A left join: a row is never dropped here (its raw_record would be null).
-#}
{% macro with_raw_record(rows, source_tables, raw_columns=[]) -%}
    {%- for source_table in source_tables %}
        select
            {{ rows }}.*,
            {%- for column in raw_columns %}
            raw_rows.{{ column }},
            {%- endfor %}
            {{ legacy_raw_record(legacy_columns(source_table), 'raw_rows') }} as raw_record
        from {{ rows }}
        -- a subquery, not the bare relation: `dbt build --empty` renders a source as an aliased
        -- subquery of its own
        left join (
            select * from {{ source(source_table.split('_')[0], source_table) }}
        ) as raw_rows
            on
                {{ rows }}._batch_id = raw_rows._batch_id
                and {{ rows }}._record_number = raw_rows._record_number
        where {{ rows }}.source_table = '{{ source_table }}'
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#-
    violation_columns_as_loaded(rows, own_value_rules): the column list of a rule-violation
    model (int_member_row_violations, int_child_row_violations) over `rows`, a with_raw_record
    output: raw_value is the violated column's value exactly as loaded (before trimming and
    folding, as the rules ask), except for the rules in `own_value_rules`, whose check gave its
    own value (no value for KEY_MISSING, the copies for DUPLICATE_SOURCE_ROW, the parent key).
-#}
{% macro violation_columns_as_loaded(rows, own_value_rules) -%}
    {%- for column in [
        'source_table', 'source_system', 'source_key', '_batch_id', '_record_number',
        'member_source_table', 'member_source_key', 'rule_code', 'column_name',
    ] %}
        {{ rows }}.{{ column }},
    {%- endfor %}
        case
            when {{ rows }}.rule_code in ('{{ own_value_rules | join("', '") }}')
                then {{ rows }}.raw_value
            else {{ rows }}.raw_record ->> {{ rows }}.column_name
        end as raw_value
{%- endmacro %}


{#-
    current_legacy_rows(versioned, source_table): the current (winning) version of every keyed
    row of a member file, as the legacy system last said it: key, row_hash (the snapshot's
    check column), the row as loaded (legacy_record, rebuilt from raw) and its lineage.
-#}
{% macro current_legacy_rows(versioned, source_table) -%}
    with

    current_rows as (
        select
            '{{ source_table }}' as source_table,
            source_key,
            row_hash,
            _batch_id,
            _source_file,
            _record_number
        from {{ versioned }}
        where is_winner and source_key is not null
    ),

    -- the row as loaded, rebuilt from raw (the versioned table does not carry it)
    current_as_loaded as (
        {{ with_raw_record('current_rows', [source_table]) }}
    )

    select
        source_key,
        row_hash,
        raw_record as legacy_record,
        _batch_id,
        _source_file,
        _record_number
    from current_as_loaded
{%- endmacro %}
