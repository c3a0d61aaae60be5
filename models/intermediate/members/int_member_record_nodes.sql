{{
    config(
        post_hook=['analyze {{ this }}'],
    )
}}

with

member_records as (
    select * from {{ ref('int_member_records') }}
),

numbered as (
    select
        record_id,
        row_number() over (
            order by source_order, source_key collate "C"
        ) as record_num
    from member_records
),

final as (
    select * from numbered
)

select * from final
