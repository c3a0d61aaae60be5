{#-
    The quality gate's measurements (migration-rules.md section 11): for each field of the
    standard field dictionary (seed field_dictionary) that has a max_null_rate, the share of
    rows of its model where the field is null, beside the threshold. The field is named as the
    dictionary names it (`mobile`, measured on dim_members.mobile_masked). The generic test
    `null_rate_within_dictionary` on the published columns reads these rates and fails the
    build when one is above its threshold; this table is what reviewers and the report read,
    written before the gate runs, so a failing build leaves its own rates here.

    Every column of each gated model is measured in one scan (the columns come from the
    model's documented contract, at compile time) and matched to the dictionary by name at
    query time, so adding a gated field is a change to the seed only. A dictionary field its
    model does not have is reported with a null rate and fails (`is_passing` false): the
    dictionary and the mart drifted apart. (Measuring by turning every row into jsonb cells
    cost a minute at a million members; counting is one pass.)
-#}
{%- set gated_models = ['dim_members', 'member_identities'] -%}

with

dictionary as (
    select * from {{ ref('field_dictionary') }}
    where max_null_rate is not null
),

-- One CTE per gated model, generated: sqlfluff cannot lay out CTEs made in a loop.
-- noqa: disable=LT02
{%- for model_name in gated_models %}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) if execute else none %}
    {%- set columns = node.columns.values() | list if node else [] %}
{{ model_name }}_measured as (
    select
        '{{ model_name }}' as model_name,
        cell.column_name,
        totals.row_count,
        cell.null_count
    from (
        select
            {%- for column in columns %}
            count(*) filter (
                where {{ adapter.quote(column.name) }} is null
                {%- if (column.data_type or '') | lower == 'jsonb' %}
                    or {{ adapter.quote(column.name) }} = 'null'::jsonb
                {%- endif %}
            ) as {{ adapter.quote('null_count_' ~ loop.index) }},
            {%- endfor %}
            count(*) as row_count
        from {{ ref(model_name) }}
    ) as totals
    cross join lateral (
        values
        {%- for column in columns %}
            ('{{ column.name }}', totals.{{ adapter.quote('null_count_' ~ loop.index) }}){{ ',' if not loop.last }}
        {%- else %}
            (cast(null as text), cast(null as bigint))
        {%- endfor %}
    ) as cell (column_name, null_count)
),

{% endfor -%}
-- noqa: enable=LT02

measured as (
    {%- for model_name in gated_models %}
        select
            {{ model_name }}_measured.model_name,
            {{ model_name }}_measured.column_name,
            {{ model_name }}_measured.row_count,
            {{ model_name }}_measured.null_count
        from {{ model_name }}_measured
        inner join dictionary
            on
                {{ model_name }}_measured.model_name = dictionary.model_name
                and {{ model_name }}_measured.column_name = dictionary.column_name
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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
