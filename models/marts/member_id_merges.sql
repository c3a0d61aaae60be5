{#-
    One row per change of member id a build recorded: the records of retired_member_id that
    moved to surviving_member_id in one build (one batch), from the snapshot of record-to-member
    assignments. `merge` when the retired id no longer held any record right after the change,
    `split` when it still did (records moved away from a member that still exists). Downstream
    systems redirect a retired id to its surviving id, following chains in recorded order.
-#}
with

assignments as (
    select * from {{ ref('snap_member_legacy_accounts') }}
),

versions as (
    -- each assignment of a record, with the member it belonged to before (its previous version)
    select
        legacy_account_id,
        member_id,
        batch_id,
        dbt_valid_from,
        dbt_valid_to,
        lag(member_id) over (
            partition by legacy_account_id
            order by dbt_valid_from
        ) as previous_member_id
    from assignments
),

moves as (
    -- a record that now belongs to another member than in its previous version
    select
        previous_member_id as retired_member_id,
        member_id as surviving_member_id,
        batch_id,
        dbt_valid_from as recorded_at,
        legacy_account_id
    from versions
    where
        previous_member_id is not null
        and previous_member_id <> member_id
),

changes as (
    select
        retired_member_id,
        surviving_member_id,
        batch_id,
        recorded_at,
        count(*) as records_moved
    from moves
    group by retired_member_id, surviving_member_id, batch_id, recorded_at
),

retired_id_still_held as (
    -- the changes after which some record still belonged to the retired id
    select distinct
        changes.retired_member_id,
        changes.recorded_at
    from changes
    inner join assignments
        on
            changes.retired_member_id = assignments.member_id
            and assignments.dbt_valid_from <= changes.recorded_at
            and (assignments.dbt_valid_to is null or assignments.dbt_valid_to > changes.recorded_at)
),

classified as (
    select
        changes.*,
        case when retired_id_still_held.retired_member_id is null then 'merge' else 'split' end as change_type
    from changes
    left join retired_id_still_held
        on
            changes.retired_member_id = retired_id_still_held.retired_member_id
            and changes.recorded_at = retired_id_still_held.recorded_at
),

final as (
    select
        -- ids
        md5(
            retired_member_id || '|' || surviving_member_id || '|' || recorded_at::text
        )::text as member_id_change_id,
        retired_member_id::text as retired_member_id,
        surviving_member_id::text as surviving_member_id,
        -- strings
        change_type::text as change_type,
        -- numerics
        batch_id::bigint as batch_id,
        records_moved::integer as records_moved,
        -- timestamps
        recorded_at::timestamptz as recorded_at
    from classified
)

select * from final
