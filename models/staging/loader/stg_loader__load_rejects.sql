with

rejects as (
    select * from {{ source('loader', 'load_rejects') }}
),

final as (
    select
        -- keys
        batch_id,
        source_table,
        record_number,
        -- strings
        source_file,
        reason,
        raw_text,
        raw_bytes
    from rejects
)

select * from final
