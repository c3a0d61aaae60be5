with

segments as (
    select * from {{ ref('int_member_segments_scored') }}
),

final as (
    select
        -- ids
        member_id::text as member_id,
        -- strings
        lifecycle_stage::text as lifecycle_stage,
        -- numerics
        recency_days::integer as recency_days,
        frequency_365d::integer as frequency_365d,
        monetary_365d::numeric(14, 2) as monetary_365d,
        r_score::integer as r_score,
        f_score::integer as f_score,
        m_score::integer as m_score,
        -- booleans
        has_purchased::boolean as has_purchased,
        -- timestamps
        last_purchase_at::timestamptz as last_purchase_at
    from segments
)

select * from final
