with

manifest as (
    select * from {{ source('loader', 'batch_manifest') }}
),

final as (
    select
        -- keys
        batch_id,
        source_table,
        -- strings
        file_name,
        package_path,
        sha256,
        encoding,
        -- numerics
        records_read,
        records_loaded,
        records_rejected,
        -- timestamps
        started_at,
        finished_at
    from manifest
)

select * from final
