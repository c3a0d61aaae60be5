{#-
    The quality gate's measurements (migration-rules.md section 11): for each field of the
    standard field dictionary (seed field_dictionary) that has a max_null_rate, the share of
    rows of its model where the field is null, beside the threshold. The field is named as the
    dictionary names it (`mobile`, measured on dim_members.mobile_masked). The generic test
    `null_rate_within_dictionary` on the published columns fails the build when a rate is above
    its threshold; this table is what reviewers and the report read.

    The columns are found by name at query time (each row as jsonb), so adding a gated field is
    a change to the seed only. A dictionary field its model does not have is reported with a
    null rate and fails (`is_passing` false): the dictionary and the mart drifted apart.
-#}
{%- set gated_models = ['dim_members', 'member_identities'] -%}

with

dictionary as (
    select * from {{ ref('field_dictionary') }}
    where max_null_rate is not null
),

cells as (
    {%- for model_name in gated_models %}
        select
            '{{ model_name }}' as model_name,
            cell.key as column_name,
            cell.value = 'null'::jsonb as is_null
        from {{ ref(model_name) }} as model_rows
        cross join lateral jsonb_each(to_jsonb(model_rows)) as cell
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

gated_cells as (
    select
        cells.model_name,
        cells.column_name,
        cells.is_null
    from cells
    inner join dictionary
        on
            cells.model_name = dictionary.model_name
            and cells.column_name = dictionary.column_name
),

measured as (
    select
        model_name,
        column_name,
        count(*) as row_count,
        count(*) filter (where is_null) as null_count
    from gated_cells
    group by model_name, column_name
),

final as (
    select
        dictionary.model_name,
        dictionary.field_name as column_name,
        dictionary.column_name as measured_column,
        coalesce(measured.row_count, 0) as row_count,
        coalesce(measured.null_count, 0) as null_count,
        round(measured.null_count::numeric / nullif(measured.row_count, 0), 6) as null_rate,
        dictionary.max_null_rate,
        coalesce(
            measured.null_count::numeric / nullif(measured.row_count, 0)
            <= dictionary.max_null_rate,
            false
        ) as is_passing
    from dictionary
    left join measured
        on
            dictionary.model_name = measured.model_name
            and dictionary.column_name = measured.column_name
)

select * from final
