{#-
    The spot check reviewers sign off on (the seed documents ask for 100-200 members): a
    reproducible sample of var('sample_member_count') members (ordered by md5 of member_id, so
    the same members are chosen on every rebuild of the same data), one row per sampled member
    and legacy record, the legacy values as the old system exported them beside the migrated
    values. Holds personal data in clear: schema audit is not readable by BI.
-#}
{%- set systems = [
    ('pos', 'pos_member_card', 'int_pos_member_cards_current', 'member_name', 'mobile', 'tier_name', 'status', 'points', 'open_date'),
    ('mall', 'mall_user', 'int_mall_users_current', 'real_name', 'phone', 'level', 'is_deleted', 'integral', 'reg_time'),
    ('wechat', 'wechat_member', 'int_wechat_members_current', 'null', 'mobile', 'member_level', 'null', 'points_balance', 'subscribe_time'),
] -%}

with

members as (
    select * from {{ ref('dim_members') }}
),

identities as (
    select * from {{ ref('member_identities') }}
),

accounts as (
    select * from {{ ref('dim_member_legacy_accounts') }}
),

sampled_members as (
    select member_id
    from members
    order by md5(member_id), member_id
    limit {{ var('sample_member_count') }}
),

-- the current legacy row of each sampled account: only the keys are read from the current
-- views, and the rows as loaded are rebuilt from raw for the sample alone
sampled_legacy_rows as (
    {%- for system in systems %}
        select
            '{{ system[0] }}' as source_system,
            '{{ system[1] }}' as source_table,
            current_rows.source_key,
            current_rows._batch_id,
            current_rows._record_number
        from (select * from {{ ref(system[2]) }}) as current_rows
        inner join accounts
            on
                accounts.source_system = '{{ system[0] }}'
                and current_rows.source_key = accounts.source_key
        inner join sampled_members
            on accounts.member_id = sampled_members.member_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

sampled_as_loaded as (
    {{ with_raw_record('sampled_legacy_rows', systems | map(attribute=1) | list) }}
),

legacy_records as (
    {%- for system, source_table, model, name_col, mobile_col, tier_col, status_col, points_col, reg_col in systems %}
        select
            source_system,
            source_key,
            {% if name_col == 'null' %}null{% else %}raw_record ->> '{{ name_col }}'{% endif %} as legacy_name,
            raw_record ->> '{{ mobile_col }}' as legacy_mobile,
            raw_record ->> '{{ tier_col }}' as legacy_tier,
            {% if status_col == 'null' %}null{% else %}raw_record ->> '{{ status_col }}'{% endif %} as legacy_status,
            raw_record ->> '{{ points_col }}' as legacy_points,
            raw_record ->> '{{ reg_col }}' as legacy_registered
        from sampled_as_loaded
        where source_table = '{{ source_table }}'
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

final as (
    select
        sampled_members.member_id,
        accounts.source_system,
        accounts.source_key,
        legacy_records.legacy_name,
        identities.member_name as migrated_name,
        legacy_records.legacy_mobile,
        identities.mobile as migrated_mobile,
        legacy_records.legacy_tier,
        members.tier_code as migrated_tier_code,
        legacy_records.legacy_status,
        members.status as migrated_status,
        legacy_records.legacy_points,
        members.points_balance as migrated_points_balance,
        legacy_records.legacy_registered,
        members.register_at as migrated_register_at,
        members.source_record_count
    from sampled_members
    inner join members on sampled_members.member_id = members.member_id
    inner join identities on sampled_members.member_id = identities.member_id
    inner join accounts on sampled_members.member_id = accounts.member_id
    left join legacy_records
        on
            accounts.source_system = legacy_records.source_system
            and accounts.source_key = legacy_records.source_key
)

select * from final
