{#-
    The history of each member's tier, status, points and stored value, from the snapshot
    snap_members, for BI (which cannot read the snapshots schema). One row per member and
    version; the current version has is_current true and a null valid_to.
-#}
with

versions as (
    select * from {{ ref('snap_members') }}
),

final as (
    select
        member_id,
        tier_code,
        status,
        points_balance,
        stored_value_balance,
        cast(dbt_valid_from as timestamptz) as valid_from,
        cast(dbt_valid_to as timestamptz) as valid_to,
        dbt_valid_to is null as is_current
    from versions
)

select * from final
