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

-- one aggregation per file (each fits in memory; one over all files at once would spill)
winners_per_key as (
    {%- for source_table, model in versioned %}
        select
            '{{ source_table }}' as source_table,
            source_key,
            count(*) filter (where is_winner) as winner_count
        from {{ ref(model) }}
        where source_key is not null
        group by source_key
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select * from winners_per_key
)

select * from final
where winner_count != 1
