{#-
    One row per migrated legacy member record: the member it belongs to in this build, and the
    batch the build is on (the most recently loaded batch). The source of snapshot
    snap_member_legacy_accounts (check strategy on member_id), from which marts.member_id_merges
    reads every member id change.
-#}
with

legacy_accounts as (
    select * from {{ ref('dim_member_legacy_accounts') }}
),

batch_manifest as (
    select * from {{ ref('stg_loader__batch_manifest') }}
),

current_batch as (
    select max(batch_id) as batch_id
    from batch_manifest
),

final as (
    select
        -- ids
        legacy_accounts.legacy_account_id,
        legacy_accounts.member_id,
        legacy_accounts.source_system,
        legacy_accounts.source_key,
        -- numerics
        current_batch.batch_id
    from legacy_accounts
    cross join current_batch
)

select * from final
