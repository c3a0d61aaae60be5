-- Rules, matching and the mart use only the winning version of each key (section 4): every
-- key of every legacy file has exactly one winning row. Fails with the keys that have none
-- or several.
{%- set versioned = [
    ('pos_member_card', 'int_pos_member_cards_versioned'),
    ('pos_points_log', 'int_pos_points_log_versioned'),
    ('pos_transaction', 'int_pos_transactions_versioned'),
    ('mall_user', 'int_mall_users_versioned'),
    ('mall_order', 'int_mall_orders_versioned'),
    ('mall_coupon', 'int_mall_coupons_versioned'),
    ('wechat_member', 'int_wechat_members_versioned'),
] %}

with

keyed_rows as (
    {%- for source_table, model in versioned %}
        select
            '{{ source_table }}' as source_table,
            source_key,
            is_winner
        from {{ ref(model) }}
        where source_key is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        source_table,
        source_key,
        count(*) filter (where is_winner) as winner_count
    from keyed_rows
    group by source_table, source_key
)

select * from final
where winner_count != 1
