with

staged_rows as (
    select * from {{ ref('stg_wechat__members') }}
),

versioned as (
    {{ resolve_versions('staged_rows', recency_column='recency_at') }}
),

final as (
    select * from versioned
)

select * from final
