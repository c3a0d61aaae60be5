-- Every winning version of a key (and every key-less row) ends in exactly one place: the
-- migrated record sets (int_member_records, int_points_log_records, int_transaction_records,
-- int_order_records, int_coupon_records) or the quarantine, and nothing else is in either.
-- Fails with the rows that are in neither, in both, in one twice, or not a winner (or a
-- winner twice).
{%- set versioned = [
    ('pos_member_card', 'int_pos_member_cards_versioned'),
    ('pos_points_log', 'int_pos_points_log_versioned'),
    ('pos_transaction', 'int_pos_transactions_versioned'),
    ('mall_user', 'int_mall_users_versioned'),
    ('mall_order', 'int_mall_orders_versioned'),
    ('mall_coupon', 'int_mall_coupons_versioned'),
    ('wechat_member', 'int_wechat_members_versioned'),
] %}
{%- set migrated = [
    ('pos_points_log', 'int_points_log_records'),
    ('pos_transaction', 'int_transaction_records'),
    ('mall_order', 'int_order_records'),
    ('mall_coupon', 'int_coupon_records'),
] %}

{%- set member_tables = ['pos_member_card', 'mall_user', 'wechat_member'] %}
{%- set migrated_models = dict(migrated) %}

with

-- one aggregation per file over both sides (winners and the places rows went): each fits in
-- memory, where one over every file, or two aggregations and a full join, would spill
{% for source_table, model in versioned -%}
    {{ source_table }}_counted as (
        select
            '{{ source_table }}' as source_table,
            _batch_id,
            _record_number,
            count(*) filter (where place is null) as winner_count,
            count(*) filter (where place is not null) as place_count
        from (
            select
                _batch_id,
                _record_number,
                cast(null as text) as place
            from {{ ref(model) }}
            where is_winner
            union all
            select
                _batch_id,
                _record_number,
                'migrated' as place
            {%- if source_table in member_tables %}
                from {{ ref('int_member_records') }}
                where source_table = '{{ source_table }}'
            {%- else %}
                from {{ ref(migrated_models[source_table]) }}
            {%- endif %}
            union all
            select
                _batch_id,
                _record_number,
                'quarantined' as place
            from {{ ref('int_rows_quarantined') }}
            where source_table = '{{ source_table }}'
        ) as both_sides
        group by _batch_id, _record_number
    ),

{% endfor -%}

counted as (
    {%- for source_table, model in versioned %}
        select * from {{ source_table }}_counted
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        source_table,
        _batch_id,
        _record_number,
        winner_count = 1 as is_winner,
        place_count
    from counted
    where winner_count != 1 or place_count != 1
)

select * from final
