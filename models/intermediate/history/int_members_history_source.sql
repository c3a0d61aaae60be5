{#-
    One row per member: the golden values whose history reviewers and BI follow (tier, status,
    points, stored value, and a hash of the mobile, so a changed number shows without the number).
    The source of snapshot snap_members; row_hash is its check column.
    The history keeps verified versions only: this model, and so the snapshot, waits for the
    reconciliation and the quality gate and their tests (write-audit-publish), and a build they
    fail skips it, so a build that is not published adds no version to marts.member_history.
-#}
-- depends_on: {{ ref('migration_reconciliation') }}
-- depends_on: {{ ref('null_rates') }}
with

members as (
    select * from {{ ref('dim_members') }}
),

identities as (
    select * from {{ ref('member_identities') }}
),

joined as (
    select
        members.member_id,
        members.tier_code,
        members.status,
        members.points_balance,
        members.stored_value_balance,
        encode(sha256(convert_to(identities.mobile, 'UTF8')), 'hex') as mobile_hash
    from members
    left join identities on members.member_id = identities.member_id
),

final as (
    select
        *,
        md5(concat_ws(
            '|', tier_code, status, points_balance::text, stored_value_balance::text,
            coalesce(mobile_hash, '-')
        )) as row_hash
    from joined
)

select * from final
