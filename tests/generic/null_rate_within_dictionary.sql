{#
    The quality gate (migration-rules.md section 11): the share of rows of `model` where
    `column_name` is null must not exceed the `max_null_rate` the standard field dictionary
    (seed field_dictionary) sets for `field_name`. Returns one row (failing the test) when it
    does; the row names the field, the measured rate and the threshold.

    The rate is the one audit.null_rates measured on this build's `model` (its row for
    `field_name`): one measurement, which the gate judges and reviewers read. Reading it, rather
    than measuring again, also orders the build so that null_rates is written before the gate
    runs: a failing gate skips what is downstream of the tested model, and null_rates must not
    be among them, or the failing build would leave the previous build's rates behind. The
    dictionary must measure the field on the column the test is attached to: a row whose
    measured_column is another column fails too (the gate would otherwise judge a column
    nobody attached it to).
#}
{% test null_rate_within_dictionary(model, column_name, field_name) %}

with

measured as (
    select
        column_name as field_name,
        measured_column,
        null_count,
        row_count,
        max_null_rate
    from {{ ref('null_rates') }}
    where column_name = '{{ field_name }}'
),

final as (
    select
        field_name,
        measured_column,
        null_count::numeric / nullif(row_count, 0) as null_rate,
        max_null_rate
    from measured
)

select * from final
where
    null_rate > max_null_rate
    or measured_column is distinct from '{{ column_name }}'

{% endtest %}
