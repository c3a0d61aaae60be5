{#
    None of the listed columns holds a null: the not_null test of several columns in one scan of
    the model (one count per column), for the wide intermediate tables where a scan per column
    cost more than the build of the model. Returns one row per column that holds nulls, with
    how many rows.
#}
{% test columns_not_null(model, column_names) %}

with

null_counts as (
    select
        {%- for column in column_names %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as null_rows_{{ loop.index }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

select
    columns_checked.column_name,
    columns_checked.null_rows
from null_counts
cross join
    lateral (
        values
        {%- for column in column_names %}
            ('{{ column }}', null_counts.null_rows_{{ loop.index }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as columns_checked (column_name, null_rows)
where columns_checked.null_rows > 0

{% endtest %}
