{#-
    One row per rule broken by the winning version of a row of the four child files (points
    log, transactions, orders, coupons), reject and warn alike, with the severity of the seed
    quality_rules. The member a child row belongs to is its parent record
    (member_source_table / member_source_key).

    ORPHAN_REFERENCE: the parent key is missing, or no row of the parent file in any loaded
    batch holds it (rows the loader rejected were never loaded). PARENT_QUARANTINED: the
    parent key is loaded but the parent's winning version is quarantined. Rules run on the
    current state of raw, so a parent arriving in a later batch adopts its children.
-#}
{%- set child_tables = [
    {
        'source_table': 'pos_points_log',
        'source_system': 'pos',
        'model': 'int_pos_points_log_versioned',
        'key_column': 'log_id',
        'parent_table': 'pos_member_card',
        'parent_column': 'card_no',
        'checks': [
            ('POINTS_INVALID', 'points_delta', 'points_delta_text', 'is_points_invalid'),
            ('DATE_INVALID', 'occurred_at', 'occurred_at_text', 'is_occurred_at_invalid'),
        ],
    },
    {
        'source_table': 'pos_transaction',
        'source_system': 'pos',
        'model': 'int_pos_transactions_versioned',
        'key_column': 'txn_id',
        'parent_table': 'pos_member_card',
        'parent_column': 'card_no',
        'checks': [
            ('AMOUNT_INVALID', 'amount', 'amount_text', 'is_amount_invalid'),
            ('DATE_INVALID', 'txn_time', 'txn_time_text', 'is_txn_time_invalid'),
        ],
    },
    {
        'source_table': 'mall_order',
        'source_system': 'mall',
        'model': 'int_mall_orders_versioned',
        'key_column': 'order_id',
        'parent_table': 'mall_user',
        'parent_column': 'user_id',
        'checks': [
            ('AMOUNT_INVALID', 'pay_amount', 'pay_amount_text', 'is_amount_invalid'),
            ('DATE_INVALID', 'order_time', 'order_time_text', 'is_order_time_invalid'),
        ],
    },
    {
        'source_table': 'mall_coupon',
        'source_system': 'mall',
        'model': 'int_mall_coupons_versioned',
        'key_column': 'coupon_id',
        'parent_table': 'mall_user',
        'parent_column': 'user_id',
        'checks': [
            ('AMOUNT_INVALID', 'face_value', 'face_value_text', 'is_face_value_invalid'),
            ('DATE_INVALID', 'issued_at', 'issued_at_text', 'is_issued_at_invalid'),
            ('DATE_INVALID', 'expire_at', 'expire_at_text', 'is_expire_at_invalid'),
        ],
    },
] -%}

with

{% for child in child_tables -%}
    {{ child.source_table }}_rows as (
        -- only the columns the rules read (the CTE is read twice, so it is materialized)
        select
            source_key,
            _batch_id,
            _record_number,
            collapsed_copies,
            is_key_missing,
            {%- for check in child.checks %}
                {{ check[3] }},
            {%- endfor %}
            '{{ child.source_table }}' as source_table,
            '{{ child.source_system }}' as source_system,
            '{{ child.parent_table }}' as parent_table,
            {{ child.parent_column }} as parent_key
        from {{ ref(child.model) }}
        where is_winner
    ),

{% endfor -%}

pos_cards as (
    select * from {{ ref('int_pos_member_cards_versioned') }}
),

mall_users as (
    select * from {{ ref('int_mall_users_versioned') }}
),

member_violations as (
    select * from {{ ref('int_member_row_violations') }}
),

quality_rules as (
    select * from {{ ref('quality_rules') }}
),

-- every parent key held by a row of any loaded batch (one row per key, for the joins below)
pos_member_card_keys as (
    select distinct source_key as parent_key
    from pos_cards
    where source_key is not null
),

mall_user_keys as (
    select distinct source_key as parent_key
    from mall_users
    where source_key is not null
),

quarantined_parents as (
    select distinct
        source_table as parent_table,
        source_key as parent_key
    from member_violations
    where severity = 'reject' and source_key is not null
),

{#- the columns that name a child row and its member, in every issue row -#}
{%- set child_row_identity -%}
    child_rows.source_table,
    child_rows.source_system,
    child_rows.source_key,
    child_rows._batch_id,
    child_rows._record_number,
    child_rows.parent_table as member_source_table,
    child_rows.parent_key as member_source_key,
{%- endset %}

violations as (
    -- one pass over each child file: each row meets its file's checks (a lateral list)
    -- instead of one scan of the file per check
    {%- for child in child_tables %}
        {%- set own_checks = [
            ('KEY_MISSING', child.key_column, 'cast(null as text)', 'is_key_missing'),
        ] + child.checks + [
            ('DUPLICATE_SOURCE_ROW', none, 'cast(collapsed_copies as text)', 'collapsed_copies > 0'),
        ] %}
        select
            {{ child_row_identity }}
            checks.rule_code,
            checks.column_name,
            checks.raw_value
        from {{ child.source_table }}_rows as child_rows
        cross join
            lateral (
                values
                {%- for rule_code, column_name, raw_value, flag in own_checks %}
                    (
                        '{{ rule_code }}',
                        {{ "'" ~ column_name ~ "'" if column_name else 'cast(null as text)' }},
                        {{ raw_value | replace('collapsed_copies', 'child_rows.collapsed_copies') if rule_code in ('KEY_MISSING', 'DUPLICATE_SOURCE_ROW') else 'cast(null as text)' }},
                        {{ 'child_rows.' ~ flag }}
                    ){{ ',' if not loop.last }}
                {%- endfor %}
            ) as checks (rule_code, column_name, raw_value, is_broken)
        where
            checks.is_broken
            -- only the rows that broke a rule meet the list of checks
            and (
                {%- for check in own_checks %}
                    {{ 'child_rows.' ~ check[3] }}{{ ' or' if not loop.last }}
                {%- endfor %}
            )
        union all
    {%- endfor %}
    {%- for child in child_tables %}
        -- ORPHAN_REFERENCE: the parent key is missing, or no row of the parent file in any
        -- loaded batch holds it, whatever became of that row; PARENT_QUARANTINED: the parent's
        -- winning version is quarantined (so it was loaded: the two never meet on one row)
        select
            {{ child_row_identity }}
            case
                when parent_keys.parent_key is null then 'ORPHAN_REFERENCE'
                else 'PARENT_QUARANTINED'
            end as rule_code,
            '{{ child.parent_column }}' as column_name,
            child_rows.parent_key as raw_value
        from {{ child.source_table }}_rows as child_rows
        left join {{ child.parent_table }}_keys as parent_keys
            on child_rows.parent_key = parent_keys.parent_key
        left join quarantined_parents
            on
                quarantined_parents.parent_table = '{{ child.parent_table }}'
                and child_rows.parent_key = quarantined_parents.parent_key
        where parent_keys.parent_key is null or quarantined_parents.parent_key is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- the row as loaded, rebuilt from raw for the rows that broke a rule only
violations_as_loaded as (
    {{ with_raw_record('violations', child_tables | map(attribute='source_table') | list) }}
),

final as (
    select
        {{ violation_columns_as_loaded('violations_as_loaded', ['KEY_MISSING', 'DUPLICATE_SOURCE_ROW', 'ORPHAN_REFERENCE', 'PARENT_QUARANTINED']) }},
        quality_rules.severity
    from violations_as_loaded
    left join quality_rules
        on violations_as_loaded.rule_code = quality_rules.rule_code
)

select * from final
