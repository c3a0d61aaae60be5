{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

{%- set window_days = var('rfm_window_days', 365) -%}
{%- set active_days = var('lifecycle_active_days', 180) -%}
{%- set new_days = var('lifecycle_new_days', 90) -%}
{%- set score_buckets = var('rfm_score_buckets', 5) -%}
{#- "within N days" = after the as-of instant minus N days; Beijing time has no daylight
    saving, so a day is 24 hours whatever the session time zone -#}
{%- set as_of = as_of_instant() -%}

with

transactions as (
    select * from {{ ref('int_transactions_unioned') }}
),

golden_members as (
    select * from {{ ref('int_members_golden') }}
),

purchases as (
    -- a purchase counts once it has happened by the cut-off: one without a usable time, or
    -- dated after the as-of instant, is not evidence of behaviour as of the cut-off
    select
        member_id,
        amount,
        occurred_at
    from transactions
    where
        is_purchase
        and occurred_at <= {{ as_of }}
),

purchase_stats as (
    select
        member_id,
        max(occurred_at) as last_purchase_at,
        count(*) filter (
            where occurred_at > {{ as_of }} - {{ window_days }} * interval '24 hours'
        ) as frequency_365d,
        coalesce(
            sum(amount) filter (
                where occurred_at > {{ as_of }} - {{ window_days }} * interval '24 hours'
            ),
            0
        ) as monetary_365d
    from purchases
    group by member_id
),

measured as (
    select
        purchase_stats.member_id,
        purchase_stats.last_purchase_at,
        floor(
            extract(epoch from {{ as_of }} - purchase_stats.last_purchase_at) / 86400
        )::integer as recency_days,
        purchase_stats.frequency_365d::integer as frequency_365d,
        purchase_stats.monetary_365d::numeric(14, 2) as monetary_365d
    from purchase_stats
),

scored as (
    -- quintiles among members with purchases, worst to best, ties broken by member_id
    select
        *,
        ntile({{ score_buckets }}) over (order by recency_days desc, member_id asc) as r_score,
        ntile({{ score_buckets }}) over (order by frequency_365d asc, member_id asc) as f_score,
        ntile({{ score_buckets }}) over (order by monetary_365d asc, member_id asc) as m_score
    from measured
),

segmented as (
    select
        -- ids
        golden_members.member_id,
        -- strings
        case
            when golden_members.register_at > {{ as_of }} - {{ new_days }} * interval '24 hours' then 'new'
            when scored.last_purchase_at > {{ as_of }} - {{ active_days }} * interval '24 hours' then 'active'
            when coalesce(scored.frequency_365d, 0) = 0 then 'dormant'
            else 'lapsing'
        end as lifecycle_stage,
        -- numerics
        scored.recency_days,
        coalesce(scored.frequency_365d, 0) as frequency_365d,
        coalesce(scored.monetary_365d, 0)::numeric(14, 2) as monetary_365d,
        coalesce(scored.r_score, 1)::integer as r_score,
        coalesce(scored.f_score, 1)::integer as f_score,
        coalesce(scored.m_score, 1)::integer as m_score,
        -- booleans
        scored.member_id is not null as has_purchased,
        -- timestamps
        scored.last_purchase_at
    from golden_members
    left join scored
        on golden_members.member_id = scored.member_id
),

final as (
    select * from segmented
)

select * from final
