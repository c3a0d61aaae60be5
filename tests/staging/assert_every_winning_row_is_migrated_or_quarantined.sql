-- Every winning version of a key (and every key-less row) ends in exactly one place: the
-- migrated record sets (int_member_records, int_points_log_records, int_transaction_records,
-- int_order_records, int_coupon_records) or the quarantine, and nothing else is in either.
-- Fails with the rows that are in neither, in both, in one twice, or not a winner.
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

with

winners as (
    {%- for source_table, model in versioned %}
        select
            '{{ source_table }}' as source_table,
            _batch_id,
            _record_number
        from {{ ref(model) }}
        where is_winner
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

placed as (
    select
        source_table,
        _batch_id,
        _record_number,
        'migrated' as place
    from {{ ref('int_member_records') }}
    {%- for source_table, model in migrated %}
        union all
        select
            '{{ source_table }}' as source_table,
            _batch_id,
            _record_number,
            'migrated' as place
        from {{ ref(model) }}
    {%- endfor %}
    union all
    select
        source_table,
        _batch_id,
        _record_number,
        'quarantined' as place
    from {{ ref('int_rows_quarantined') }}
),

places_per_row as (
    select
        source_table,
        _batch_id,
        _record_number,
        count(*) as place_count
    from placed
    group by source_table, _batch_id, _record_number
),

final as (
    select
        coalesce(winners.source_table, places_per_row.source_table) as source_table,
        coalesce(winners._batch_id, places_per_row._batch_id) as _batch_id,
        coalesce(winners._record_number, places_per_row._record_number) as _record_number,
        winners.source_table is not null as is_winner,
        coalesce(places_per_row.place_count, 0) as place_count
    from winners
    full outer join places_per_row
        on
            winners.source_table = places_per_row.source_table
            and winners._batch_id = places_per_row._batch_id
            and winners._record_number = places_per_row._record_number
)

select * from final
where not is_winner or place_count != 1
