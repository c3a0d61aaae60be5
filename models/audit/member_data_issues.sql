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
        'points' as column_name,
        'card=' || legacy_points || ' log_sum=' || log_legacy_points as raw_value
    from card_balances
    where is_ledger_mismatch
),

unioned as (
    select * from row_issues
    union all
    select * from member_warnings
    union all
    select * from ledger_mismatches
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
