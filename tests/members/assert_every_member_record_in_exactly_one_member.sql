-- Every migrated member record (winning, not quarantined) is in exactly one member, and each
-- member's source_record_count counts its records (migration-rules.md sections 1 and 5).
-- Returns records missing from or repeated in dim_member_legacy_accounts, accounts that are
-- not migrated records, and members whose count disagrees.

with

member_records as (
    select * from {{ ref('int_member_records') }}
),

legacy_accounts as (
    select * from {{ ref('dim_member_legacy_accounts') }}
),

members as (
    select * from {{ ref('dim_members') }}
),

account_counts as (
    select
        source_system,
        source_key,
        count(*) as account_rows,
        count(distinct member_id) as member_count
    from legacy_accounts
    group by source_system, source_key
),

record_problems as (
    select
        coalesce(member_records.source_system, account_counts.source_system)
        || ':' || coalesce(member_records.source_key, account_counts.source_key) as subject,
        case
            when account_counts.source_key is null then 'record in no member'
            when member_records.source_key is null then 'account is no migrated record'
            else 'record in several rows or members'
        end as problem
    from member_records
    full outer join account_counts
        on
            member_records.source_system = account_counts.source_system
            and member_records.source_key = account_counts.source_key
    where
        account_counts.source_key is null
        or member_records.source_key is null
        or account_counts.account_rows <> 1
        or account_counts.member_count <> 1
),

member_counts as (
    select
        member_id,
        count(*) as account_rows
    from legacy_accounts
    group by member_id
),

count_problems as (
    select
        members.member_id as subject,
        'source_record_count disagrees' as problem
    from members
    left join member_counts
        on members.member_id = member_counts.member_id
    where members.source_record_count is distinct from member_counts.account_rows
),

final as (
    select * from record_problems
    union all
    select * from count_problems
)

select * from final
