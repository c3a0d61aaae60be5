{#
    Two relations agree: the same number of rows and, when `sum_column` is given, the same sum
    (for example: migrated benefits against the legacy coupons they came from). Each side may be
    filtered with a SQL condition. Returns one row with both figures when they differ.
#}
{% test equal_row_count_and_sum(
    model,
    compare_model,
    sum_column=none,
    compare_sum_column=none,
    filter=none,
    compare_filter=none,
    compare_row_count=true
) %}

with

this_side as (
    select
        count(*) as row_count,
        {% if sum_column %}coalesce(sum({{ sum_column }}), 0){% else %}0{% endif %} as total
    from {{ model }}
    {% if filter %}where {{ filter }}{% endif %}
),

other_side as (
    select
        count(*) as row_count,
        {% if compare_sum_column or sum_column %}
            coalesce(sum({{ compare_sum_column or sum_column }}), 0)
        {% else %}0{% endif %} as total
    from {{ compare_model }}
    {% if compare_filter %}where {{ compare_filter }}{% endif %}
),

final as (
    select
        this_side.row_count as row_count,
        other_side.row_count as compare_row_count,
        this_side.total as total,
        other_side.total as compare_total
    from this_side
    cross join other_side
)

select * from final
where {% if compare_row_count %}row_count <> compare_row_count or {% endif %}total <> compare_total

{% endtest %}
