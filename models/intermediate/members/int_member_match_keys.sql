{{
    config(
        pre_hook=["set local work_mem = '{{ var(\"large_model_work_mem\", \"256MB\") }}'"],
        post_hook=['analyze {{ this }}'],
    )
}}

with

member_records as (
    select * from {{ ref('int_member_records') }}
),

record_nodes as (
    select * from {{ ref('int_member_record_nodes') }}
),

held_keys as (
    select
        member_records.record_id,
        record_nodes.record_num,
        member_records.source_system,
        member_records.source_table,
        member_records.source_key,
        match_keys.key_type,
        match_keys.key_column_name,
        match_keys.key_value
    from member_records
    inner join record_nodes
        on member_records.record_id = record_nodes.record_id
    cross join
        lateral (
            values
            (
                'mobile',
                case when member_records.source_system = 'mall' then 'phone' else 'mobile' end,
                member_records.mobile
            ),
            (
                'id_card_no',
                'id_card_no',
                member_records.id_card_no
            ),
            (
                'unionid',
                case when member_records.source_system = 'mall' then 'wx_unionid' else 'unionid' end,
                member_records.unionid
            ),
            (
                'email',
                'email',
                member_records.email
            )
        ) as match_keys (key_type, key_column_name, key_value)
    where match_keys.key_value is not null
),

counted as (
    select
        *,
        -- a record holds at most one value per key type, so rows are distinct records
        count(*) over key_holders as key_record_count,
        min(record_num) over key_holders as key_group_num
    from held_keys
    -- byte-wise ("C") grouping: the same equality, a much cheaper sort
    window key_holders as (partition by key_type collate "C", key_value collate "C")
),

final as (
    select
        record_id,
        record_num,
        source_system,
        source_table,
        source_key,
        key_type,
        key_column_name,
        key_value,
        key_record_count,
        key_group_num,
        key_record_count > {{ var('max_records_per_match_key') }} as is_overshared
    from counted
)

select * from final
