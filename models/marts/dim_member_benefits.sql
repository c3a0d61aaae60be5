with

benefits as (
    select * from {{ ref('int_benefits_unioned') }}
),

final as (
    select
        -- ids
        benefit_id::text as benefit_id,
        member_id::text as member_id,
        source_system::text as source_system,
        source_table::text as source_table,
        source_key::text as source_key,
        -- strings
        benefit_type::text as benefit_type,
        -- numerics
        amount::numeric(14, 2) as amount,
        -- timestamps
        issued_at::timestamptz as issued_at,
        expires_at::timestamptz as expires_at
    from benefits
)

select * from final
