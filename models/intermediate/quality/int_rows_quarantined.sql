{%- set versioned_models = {
    'pos_member_card': 'int_pos_member_cards_versioned',
    'pos_points_log': 'int_pos_points_log_versioned',
    'pos_transaction': 'int_pos_transactions_versioned',
    'mall_user': 'int_mall_users_versioned',
    'mall_order': 'int_mall_orders_versioned',
    'mall_coupon': 'int_mall_coupons_versioned',
    'wechat_member': 'int_wechat_members_versioned',
} -%}

with

violations as (
    select * from {{ ref('int_row_violations') }}
),

winning_rows as (
    {%- for source_table, model in versioned_models.items() %}
        select
            '{{ source_table }}' as source_table,
            _batch_id,
            _record_number,
            _source_file,
            raw_record
        from {{ ref(model) }}
        where is_winner
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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

final as (
    select
        rejected.source_table,
        rejected.source_system,
        rejected.source_key,
        rejected.rule_codes,
        winning_rows.raw_record,
        rejected._batch_id,
        winning_rows._source_file,
        rejected._record_number
    from rejected
    inner join winning_rows
        on
            rejected.source_table = winning_rows.source_table
            and rejected._batch_id = winning_rows._batch_id
            and rejected._record_number = winning_rows._record_number
)

select * from final
