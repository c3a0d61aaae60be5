{#-
    Each versioned model with its measures in legacy units, parsed where they parse:
    (source_table, source_system, model, points expression, stored value expression, amount
    expression, open coupon expression).
-#}
{%- set tables = [
    ('pos_member_card', 'pos', 'int_pos_member_cards_versioned', 'points', 'stored_value', 'null', 'null'),
    ('pos_points_log', 'pos', 'int_pos_points_log_versioned', 'points_delta', 'null', 'null', 'null'),
    ('pos_transaction', 'pos', 'int_pos_transactions_versioned', 'null', 'null', 'amount', 'null'),
    ('mall_user', 'mall', 'int_mall_users_versioned', 'integral', 'null', 'null', 'null'),
    ('mall_order', 'mall', 'int_mall_orders_versioned', 'null', 'null', 'amount', 'null'),
    (
        'mall_coupon', 'mall', 'int_mall_coupons_versioned', 'null', 'null', 'face_value',
        "coupon_status = 'unused' and expire_at > " ~ as_of_instant(),
    ),
    ('wechat_member', 'wechat', 'int_wechat_members_versioned', 'points_balance', 'null', 'null', 'null'),
] -%}

with

loaded_rows as (
    {%- for source_table, source_system, model, points, stored_value, amount, is_open_coupon in tables %}
        select
            '{{ source_table }}' as source_table,
            '{{ source_system }}' as source_system,
            source_key,
            version_status,
            cast({{ points }} as bigint) as points,
            cast({{ stored_value }} as numeric(14, 2)) as stored_value,
            cast({{ amount }} as numeric(14, 2)) as amount,
            coalesce({{ is_open_coupon }}, false) as is_open_coupon,
            _batch_id,
            _source_file,
            _record_number
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

quarantined as (
    select * from {{ ref('int_rows_quarantined') }}
),

final as (
    select
        loaded_rows.source_table,
        loaded_rows.source_system,
        loaded_rows.source_key,
        case
            when loaded_rows.version_status = 'duplicate' then 'duplicate'
            when loaded_rows.version_status = 'superseded' then 'superseded'
            when quarantined.source_table is not null then 'quarantined'
            else 'migrated'
        end as outcome,
        loaded_rows.points,
        loaded_rows.stored_value,
        loaded_rows.amount,
        loaded_rows.is_open_coupon,
        loaded_rows._batch_id,
        loaded_rows._source_file,
        loaded_rows._record_number
    from loaded_rows
    left join quarantined
        on
            loaded_rows.source_table = quarantined.source_table
            and loaded_rows._batch_id = quarantined._batch_id
            and loaded_rows._record_number = quarantined._record_number
)

select * from final
