{#-
    The proof that nothing was lost (migration-rules.md section 10): one row per source table
    and measure. The legacy side is counted from what was loaded (the raw tables, and the
    loader's rejects); the migrated side is counted from the published mart wherever the
    mart holds every migrated row, so a row dropped between the rules and the mart shows up
    as a difference. `difference` = legacy minus every other column; a test fails the build
    when it is not 0.

    A missing points value cannot be summed (it is POINTS_INVALID and counts only as a record);
    a missing stored value is 0.

    Erasure (PIPL Art. 47, `member-migration erase`): the legacy side still counts what the
    files held, and `erased_value` what erasure took away: records removed from raw (rows and
    loader rejects) plus records the loader skipped because they were erased before
    (batch_manifest.records_erased); for points, stored value and open coupons, the parseable
    values of the removed winning rows, recorded by the request (source erasure_removals,
    without any identifier). A warehouse where no erasure ever ran has no erasure table: 0.
-#}
{%- set erasure_removals = source('erasure', 'erasure_removals') -%}
{%- set has_erasures = false -%}
{%- if execute and erasure_removals.schema is none -%}
    {#- a unit test: the source is the test's fixture -#}
    {%- set has_erasures = true -%}
{%- elif execute -%}
    {%- set has_erasures = adapter.get_relation(
        database=erasure_removals.database,
        schema=erasure_removals.schema,
        identifier=erasure_removals.identifier,
    ) is not none -%}
{%- endif -%}
{%- set member_tables = [
    ('pos_member_card', 'pos'),
    ('mall_user', 'mall'),
    ('wechat_member', 'wechat'),
] -%}
{%- set loaded_tables = legacy_source_tables() -%}

with

outcomes as (
    select * from {{ ref('int_row_outcomes') }}
),

rejects as (
    select * from {{ ref('stg_loader__load_rejects') }}
),

ledger as (
    select * from {{ ref('fct_points_ledger') }}
),

benefits as (
    select * from {{ ref('dim_member_benefits') }}
),

legacy_accounts as (
    select * from {{ ref('dim_member_legacy_accounts') }}
),

transactions as (
    select * from {{ ref('fct_transactions') }}
),

coupons as (
    select * from {{ ref('int_coupon_records') }}
),

conversion as (
    select * from {{ ref('points_conversion') }}
),

manifest as (
    select * from {{ ref('stg_loader__batch_manifest') }}
),

removals as (
    {%- if has_erasures %}
        select * from {{ erasure_removals }}
    {%- else %}
        -- no erasure request ever ran in this warehouse
        select
            null::text as table_schema,
            null::text as table_name,
            null::text as source_table,
            0::bigint as rows_removed,
            0::numeric as legacy_points,
            0::numeric(14, 2) as stored_value,
            0::bigint as open_coupons
        where false
    {%- endif %}
),

-- erased ----------------------------------------------------------------------------------------
erased_by_request as (
    -- rows removed from raw (a file's rows and its loader rejects), with the values the
    -- removed winning rows counted for
    select
        source_table,
        sum(rows_removed)::numeric as erased_rows,
        sum(legacy_points) filter (where table_name = source_table)::numeric as erased_points,
        sum(stored_value) filter (where table_name = source_table)::numeric as erased_stored_value,
        sum(open_coupons) filter (where table_name = source_table)::numeric as erased_open_coupons
    from removals
    where table_schema = 'raw'
    group by source_table
),

erased_at_load as (
    select
        source_table,
        sum(records_erased)::numeric as erased_rows
    from manifest
    group by source_table
),

erased as (
    select
        tables.source_table,
        coalesce(erased_by_request.erased_rows, 0)
        + coalesce(erased_at_load.erased_rows, 0) as erased_rows,
        coalesce(erased_by_request.erased_points, 0) as erased_points,
        coalesce(erased_by_request.erased_stored_value, 0) as erased_stored_value,
        coalesce(erased_by_request.erased_open_coupons, 0) as erased_open_coupons
    from (
        {%- for source_name, source_table in loaded_tables %}
            select '{{ source_table }}' as source_table
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as tables
    left join erased_by_request on tables.source_table = erased_by_request.source_table
    left join erased_at_load on tables.source_table = erased_at_load.source_table
),

-- records -------------------------------------------------------------------------------------
loaded as (
    -- the raw tables themselves (each staging view has exactly their rows; counting through a
    -- view's optimization fences took a second a table at a million persons)
    {%- for source_name, source_table in loaded_tables %}
        select
            '{{ source_table }}' as source_table,
            count(*)::numeric as loaded_rows
        from {{ source(source_name, source_table) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

rejected as (
    select
        source_table,
        count(*)::numeric as rejected_rows
    from rejects
    group by source_table
),

-- every measure the outcomes give, per source table, in one pass over the six million rows of a
-- million persons (the records, points, stored value and open coupons below read this)
outcome_counts as (
    select
        source_table,
        count(*) filter (where outcome = 'duplicate')::numeric as duplicate_rows,
        count(*) filter (where outcome = 'superseded')::numeric as superseded_rows,
        count(*) filter (where outcome = 'quarantined')::numeric as quarantined_rows,
        sum(points) filter (where outcome in ('migrated', 'quarantined')) as kept_points,
        sum(points) filter (where outcome = 'quarantined') as quarantined_points,
        sum(stored_value) filter (where outcome in ('migrated', 'quarantined')) as kept_stored_value,
        sum(stored_value) filter (where outcome = 'quarantined') as quarantined_stored_value,
        count(*) filter (where is_open_coupon and outcome in ('migrated', 'quarantined'))::numeric
            as kept_open_coupons,
        count(*) filter (where is_open_coupon and outcome = 'quarantined')::numeric
            as quarantined_open_coupons
    from outcomes
    group by source_table
),

migrated_records as (
    {%- for source_table, source_system in member_tables %}
        select
            '{{ source_table }}' as source_table,
            count(*)::numeric as migrated_rows
        from legacy_accounts
        where source_system = '{{ source_system }}'
        union all
    {%- endfor %}
    select
        'pos_points_log' as source_table,
        count(*)::numeric as migrated_rows
    from ledger
    -- by the table an entry came from, not its type (a log row without change_type counts too)
    where source_table = 'pos_points_log'
    union all
    select
        'pos_transaction' as source_table,
        count(*)::numeric as migrated_rows
    from transactions
    where channel = 'store'
    union all
    select
        'mall_order' as source_table,
        count(*)::numeric as migrated_rows
    from transactions
    where channel = 'mall'
    union all
    -- Coupons that are not open benefits are migrated as accounted-for rows, not as benefits.
    select
        'mall_coupon' as source_table,
        count(*)::numeric as migrated_rows
    from coupons
),

records as (
    select
        loaded.source_table,
        'records' as measure,
        loaded.loaded_rows + coalesce(rejected.rejected_rows, 0) + erased.erased_rows
            as legacy_value,
        coalesce(migrated_records.migrated_rows, 0) as migrated_value,
        coalesce(outcome_counts.duplicate_rows, 0) as duplicate_value,
        coalesce(outcome_counts.superseded_rows, 0) as superseded_value,
        coalesce(outcome_counts.quarantined_rows, 0) as quarantined_value,
        coalesce(rejected.rejected_rows, 0) as rejected_value,
        0::numeric as residual_value,
        erased.erased_rows as erased_value
    from loaded
    inner join erased on loaded.source_table = erased.source_table
    left join rejected on loaded.source_table = rejected.source_table
    left join outcome_counts on loaded.source_table = outcome_counts.source_table
    left join migrated_records on loaded.source_table = migrated_records.source_table
),

-- points (legacy units, winning rows) ---------------------------------------------------------
points_legacy as (
    -- one row per table with points, also before its file has any rows
    select
        tables.source_table,
        coalesce(outcome_counts.kept_points, 0)::numeric as legacy_points,
        coalesce(outcome_counts.quarantined_points, 0)::numeric as quarantined_points
    from (
        values ('pos_member_card'), ('pos_points_log'), ('mall_user'), ('wechat_member')
    ) as tables (source_table)
    left join outcome_counts on tables.source_table = outcome_counts.source_table
),

ledger_in_legacy_units as (
    select
        ledger.source_system,
        ledger.source_table,
        ledger.entry_type,
        ledger.points * conversion.denominator / conversion.numerator as converted_legacy_points,
        ledger.residual_legacy_points
    from ledger
    inner join conversion on ledger.source_system = conversion.source_system
),

points_migrated as (
    -- A POS card's balance is its migrated log entries plus its adjustment: every POS ledger
    -- entry belongs to a migrated card, so the POS ledger adds up to the migrated balances.
    select
        'pos_member_card' as source_table,
        sum(converted_legacy_points) as migrated_points,
        sum(residual_legacy_points) as residual_points
    from ledger_in_legacy_units
    where source_system = 'pos'
    union all
    select
        'pos_points_log' as source_table,
        sum(converted_legacy_points) as migrated_points,
        sum(residual_legacy_points) as residual_points
    from ledger_in_legacy_units
    where source_table = 'pos_points_log'
    union all
    select
        case source_system when 'mall' then 'mall_user' else 'wechat_member' end as source_table,
        sum(converted_legacy_points) as migrated_points,
        sum(residual_legacy_points) as residual_points
    from ledger_in_legacy_units
    where source_system in ('mall', 'wechat') and entry_type = 'MIGRATION_OPENING'
    group by source_system
),

points as (
    select
        points_legacy.source_table,
        'points' as measure,
        points_legacy.legacy_points + erased.erased_points as legacy_value,
        coalesce(points_migrated.migrated_points, 0) as migrated_value,
        0::numeric as duplicate_value,
        0::numeric as superseded_value,
        points_legacy.quarantined_points as quarantined_value,
        0::numeric as rejected_value,
        coalesce(points_migrated.residual_points, 0) as residual_value,
        erased.erased_points as erased_value
    from points_legacy
    inner join erased on points_legacy.source_table = erased.source_table
    left join points_migrated on points_legacy.source_table = points_migrated.source_table
),

-- stored value ----------------------------------------------------------------------------------
stored_value as (
    select
        'pos_member_card' as source_table,
        'stored_value' as measure,
        coalesce(outcome_counts.kept_stored_value, 0)
        + (
            select erased.erased_stored_value
            from erased
            where erased.source_table = 'pos_member_card'
        ) as legacy_value,
        (
            select coalesce(sum(stored_value_benefits.amount), 0)
            from benefits as stored_value_benefits
            where stored_value_benefits.benefit_type = 'STORED_VALUE'
        ) as migrated_value,
        0::numeric as duplicate_value,
        0::numeric as superseded_value,
        coalesce(outcome_counts.quarantined_stored_value, 0) as quarantined_value,
        0::numeric as rejected_value,
        0::numeric as residual_value,
        (
            select erased.erased_stored_value
            from erased
            where erased.source_table = 'pos_member_card'
        ) as erased_value
    -- one row, also before the file has any rows
    from (values ('pos_member_card')) as tables (source_table)
    left join outcome_counts on tables.source_table = outcome_counts.source_table
),

-- open coupons ----------------------------------------------------------------------------------
open_coupons as (
    select
        'mall_coupon' as source_table,
        'open_coupons' as measure,
        coalesce(outcome_counts.kept_open_coupons, 0)
        + (
            select erased.erased_open_coupons
            from erased
            where erased.source_table = 'mall_coupon'
        ) as legacy_value,
        (
            -- every benefit made from a coupon, whatever its coupon_type (a missing or
            -- unknown type is migrated and warned about, not lost from the count)
            select count(*)
            from benefits as coupon_benefits
            where coupon_benefits.source_table = 'mall_coupon'
        )::numeric as migrated_value,
        0::numeric as duplicate_value,
        0::numeric as superseded_value,
        coalesce(outcome_counts.quarantined_open_coupons, 0) as quarantined_value,
        0::numeric as rejected_value,
        0::numeric as residual_value,
        (
            select erased.erased_open_coupons
            from erased
            where erased.source_table = 'mall_coupon'
        ) as erased_value
    from (values ('mall_coupon')) as tables (source_table)
    left join outcome_counts on tables.source_table = outcome_counts.source_table
),

measures as (
    select * from records
    union all
    select * from points
    union all
    select * from stored_value
    union all
    select * from open_coupons
),

final as (
    select
        measures.source_table,
        measures.measure,
        measures.legacy_value,
        measures.migrated_value,
        measures.duplicate_value,
        measures.superseded_value,
        measures.quarantined_value,
        measures.rejected_value,
        measures.residual_value,
        measures.erased_value,
        measures.legacy_value
        - measures.migrated_value
        - measures.duplicate_value
        - measures.superseded_value
        - measures.quarantined_value
        - measures.rejected_value
        - measures.residual_value
        - measures.erased_value as difference
    from measures
)

select * from final
