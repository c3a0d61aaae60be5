{#
    The quality gate (migration-rules.md section 11): the share of rows of `model` where
    `column_name` is null must not exceed the `max_null_rate` the standard field dictionary
    (seed field_dictionary) sets for `field_name`. Returns one row (failing the test) when it
    does; the row names the field, the measured rate and the threshold.
#}
{% test null_rate_within_dictionary(model, column_name, field_name) %}

with

measured as (
    select
        count(*) as row_count,
        count(*) filter (where {{ column_name }} is null) as null_count
    from {{ model }}
),

threshold as (
    select max_null_rate
    from {{ ref('field_dictionary') }}
    where field_name = '{{ field_name }}'
),

final as (
    select
        '{{ field_name }}' as field_name,
        measured.null_count::numeric / nullif(measured.row_count, 0) as null_rate,
        threshold.max_null_rate
    from measured
    cross join threshold
)

select * from final
where null_rate > max_null_rate

{% endtest %}
