-- member_id is stable (migration-rules.md section 5): it derives from the member's anchor
-- record, the one with the smallest (source_order, source_key in code-point order), so it
-- depends only on the member's set of records. Returns members whose anchor is not exactly
-- one record, not the smallest one, or whose id is not the anchor's.

with

legacy_accounts as (
    select * from {{ ref('dim_member_legacy_accounts') }}
),

source_systems as (
    select * from {{ ref('source_systems') }}
),

ordered as (
    select
        legacy_accounts.member_id,
        legacy_accounts.legacy_account_id,
        legacy_accounts.is_anchor_record,
        row_number() over (
            partition by legacy_accounts.member_id
            order by source_systems.source_order, legacy_accounts.source_key collate "C"  -- noqa: RF02
        ) as anchor_order
    from legacy_accounts
    inner join source_systems
        on legacy_accounts.source_system = source_systems.source_system
),

final as (
    select
        member_id,
        legacy_account_id,
        is_anchor_record,
        anchor_order
    from ordered
    where
        (anchor_order = 1) <> is_anchor_record
        or (anchor_order = 1 and member_id <> {{ member_id_from_anchor('legacy_account_id') }})
)

select * from final
