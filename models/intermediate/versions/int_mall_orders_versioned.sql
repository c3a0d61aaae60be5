with

staged_rows as (
    select * from {{ ref('stg_mall__orders') }}
),

versioned as (
    {{ resolve_versions('staged_rows') }}
),

final as (
    select * from versioned
)

select * from final
