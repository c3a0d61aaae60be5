with

staged_rows as (
    select * from {{ ref('stg_mall__users') }}
),

versioned as (
    {{ resolve_versions('staged_rows', recency_column='recency_at') }}
),

final as (
    select * from versioned
)

select * from final
