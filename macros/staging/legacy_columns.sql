{#
    The contract columns of every legacy file (legacy-exports.md), in the contract's order.
    Mirrors src/member_migration/contract.py (the loader creates raw tables from it); the
    singular test tests/staging/assert_raw_columns_match_contract.sql fails when they drift.
#}
{% macro legacy_columns(source_table) -%}
    {%- set columns = {
        'pos_member_card': [
            'card_no', 'member_name', 'mobile', 'id_card_no', 'gender', 'birthday',
            'open_date', 'store_code', 'tier_name', 'points', 'stored_value', 'status',
            'nickname', 'province', 'city', 'updated_at',
        ],
        'pos_points_log': [
            'log_id', 'card_no', 'change_type', 'points_delta', 'occurred_at', 'order_ref',
        ],
        'pos_transaction': [
            'txn_id', 'card_no', 'store_code', 'txn_time', 'amount', 'points_earned',
        ],
        'mall_user': [
            'user_id', 'phone', 'email', 'wx_unionid', 'real_name', 'nick_name', 'gender',
            'birth_date', 'reg_time', 'level', 'integral', 'is_deleted', 'province', 'city',
            'last_login_at',
        ],
        'mall_order': [
            'order_id', 'user_id', 'order_time', 'pay_amount', 'order_status',
        ],
        'mall_coupon': [
            'coupon_id', 'user_id', 'coupon_type', 'face_value', 'issued_at', 'expire_at',
            'coupon_status',
        ],
        'wechat_member': [
            'openid', 'unionid', 'mobile', 'nickname', 'gender', 'subscribe_time',
            'member_level', 'points_balance', 'channel', 'ext_attrs', 'updated_at',
        ],
    } -%}
    {%- if source_table not in columns -%}
        {{ exceptions.raise_compiler_error("legacy_columns: unknown legacy file '" ~ source_table ~ "'") }}
    {%- endif -%}
    {{- return(columns[source_table]) -}}
{%- endmacro %}


{#- The lineage columns the loader adds to every raw table (docs/architecture.md). -#}
{% macro legacy_lineage_columns() -%}
    {{- return(['_batch_id', '_source_file', '_record_number', '_loaded_at']) -}}
{%- endmacro %}


{#- Every legacy file as (dbt source name, raw table), in the contract's order. -#}
{% macro legacy_source_tables() -%}
    {{- return([
        ('pos', 'pos_member_card'),
        ('pos', 'pos_points_log'),
        ('pos', 'pos_transaction'),
        ('mall', 'mall_user'),
        ('mall', 'mall_order'),
        ('mall', 'mall_coupon'),
        ('wechat', 'wechat_member'),
    ]) -}}
{%- endmacro %}
