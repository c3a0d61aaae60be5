{#-
    records_erased exists once a loader with erasure support has touched the manifest (it adds
    the column); a manifest made before reads 0.
-#}
{%- set manifest_relation = source('loader', 'batch_manifest') -%}
{%- set has_records_erased = true -%}
{%- if execute -%}
    {%- set manifest_columns = adapter.get_columns_in_relation(manifest_relation) -%}
    {%- set has_records_erased = 'records_erased' in (manifest_columns | map(attribute='name') | list) -%}
{%- endif -%}

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
        {% if has_records_erased -%}
            records_erased,
        {%- else -%}
            0::bigint as records_erased,
        {%- endif %}
        -- timestamps
        started_at,
        finished_at
    from manifest
)

select * from final
