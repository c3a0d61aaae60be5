with

row_warnings as (
    select * from {{ ref('int_row_warnings') }}
),

member_warnings as (
    select * from {{ ref('int_member_warnings') }}
),

card_balances as (
    select * from {{ ref('int_points_card_balances') }}
),

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

member_records as (
    select * from {{ ref('int_member_records') }}
),

pos_cards_loaded as (
    select * from {{ source('pos', 'pos_member_card') }}
),

mall_users_loaded as (
    select * from {{ source('mall', 'mall_user') }}
),

wechat_members_loaded as (
    select * from {{ source('wechat', 'wechat_member') }}
),

row_issues as (
    -- a child row (log, transaction, order, coupon) belongs to the member of its parent
    select
        matched_records.member_id,
        row_warnings.source_system,
        row_warnings.source_table,
        row_warnings.source_key,
        row_warnings.rule_code,
        row_warnings.column_name,
        row_warnings.raw_value
    from row_warnings
    left join matched_records
        on
            row_warnings.member_source_table = matched_records.source_table
            and row_warnings.member_source_key = matched_records.source_key
),

ledger_mismatches as (
    select
        member_id,
        source_system,
        source_table,
        card_no as source_key,
        'POINTS_LEDGER_MISMATCH' as rule_code,
        'points' as column_name
    from card_balances
    where is_ledger_mismatch
),

member_level_warnings as (
    select
        member_id,
        source_system,
        source_table,
        source_key,
        rule_code,
        column_name
    from member_warnings
    union all
    select * from ledger_mismatches
),

member_level_issues as (
    -- like every other issue, the value exactly as loaded: the record's winning raw row, by
    -- (batch, record number), read at the warning's legacy column
    select
        member_level_warnings.member_id,
        member_level_warnings.source_system,
        member_level_warnings.source_table,
        member_level_warnings.source_key,
        member_level_warnings.rule_code,
        member_level_warnings.column_name,
        coalesce(
            to_jsonb(pos_cards_loaded), to_jsonb(mall_users_loaded), to_jsonb(wechat_members_loaded)
        ) ->> member_level_warnings.column_name as raw_value
    from member_level_warnings
    inner join member_records
        on
            member_level_warnings.source_table = member_records.source_table
            and member_level_warnings.source_key = member_records.source_key
    left join pos_cards_loaded
        on
            member_records.source_table = 'pos_member_card'
            and member_records._batch_id = pos_cards_loaded._batch_id
            and member_records._record_number = pos_cards_loaded._record_number
    left join mall_users_loaded
        on
            member_records.source_table = 'mall_user'
            and member_records._batch_id = mall_users_loaded._batch_id
            and member_records._record_number = mall_users_loaded._record_number
    left join wechat_members_loaded
        on
            member_records.source_table = 'wechat_member'
            and member_records._batch_id = wechat_members_loaded._batch_id
            and member_records._record_number = wechat_members_loaded._record_number
),

unioned as (
    select * from row_issues
    union all
    select * from member_level_issues
),

final as (
    select
        -- ids
        md5(concat_ws('|', source_table, source_key, rule_code, column_name))::text as issue_id,
        member_id::text as member_id,
        source_system::text as source_system,
        source_table::text as source_table,
        source_key::text as source_key,
        -- strings
        rule_code::text as rule_code,
        column_name::text as column_name,
        raw_value::text as raw_value
    from unioned
)

select * from final
