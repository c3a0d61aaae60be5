{%- set age_band_bounds = var('age_band_lower_bounds', [18, 25, 35, 45, 55, 65]) -%}

with

golden_members as (
    select * from {{ ref('int_members_golden') }}
),

aged as (
    -- age on the as-of date, in bands starting at var('age_band_lower_bounds')
    select
        *,
        extract(year from age({{ as_of_date() }}, birthday))::integer as age_years,
        array[{{ age_band_bounds | join(', ') }}] as age_band_bounds
    from golden_members
),

banded as (
    select
        *,
        width_bucket(age_years, age_band_bounds) as age_bucket
    from aged
),

final as (
    select
        -- ids
        member_id::text as member_id,
        -- strings
        tier_code::text as tier_code,
        tier_name::text as tier_name,
        status::text as status,
        first_source_system::text as first_source_system,
        nickname::text as nickname,
        gender::text as gender,
        province::text as province,
        city::text as city,
        {{ mask_mobile('mobile') }}::text as mobile_masked,
        case
            when age_years is null then 'unknown'
            when age_bucket = 0 then 'under ' || age_band_bounds[1]
            when age_bucket = cardinality(age_band_bounds) then age_band_bounds[age_bucket] || '+'
            else age_band_bounds[age_bucket] || '-' || (age_band_bounds[age_bucket + 1] - 1)
        end::text as age_band,
        -- numerics
        points_balance::bigint as points_balance,
        stored_value_balance::numeric(14, 2) as stored_value_balance,
        source_record_count::integer as source_record_count,
        tier_rank::integer as tier_rank,
        -- booleans
        (mobile is not null)::boolean as has_mobile,
        (email is not null)::boolean as has_email,
        (unionid is not null)::boolean as has_wechat,
        has_identity_conflict::boolean as has_identity_conflict,
        -- timestamps
        register_at::timestamptz as register_at
    from banded
)

select * from final
