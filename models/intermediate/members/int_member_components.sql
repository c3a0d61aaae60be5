{{
    config(
        pre_hook=["set local work_mem = '{{ var(\"large_model_work_mem\", \"256MB\") }}'"],
        post_hook=['analyze {{ this }}'],
    )
}}

with

record_nodes as (
    select * from {{ ref('int_member_record_nodes') }}
),

solved as (
    select
        node_id as record_num,
        component_id as anchor_record_num
    from {{ connected_components(ref('int_member_match_edges'), 'record_num', 'group_num') }}
),

components as (
    select
        record_nodes.record_id,
        anchor_nodes.record_id as anchor_record_id
    from solved
    inner join record_nodes
        on solved.record_num = record_nodes.record_num
    inner join record_nodes as anchor_nodes
        on solved.anchor_record_num = anchor_nodes.record_num
),

final as (
    select * from components
)

select * from final
