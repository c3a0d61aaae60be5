{#
    The versions of one key in a snapshot follow each other: no version starts before the
    previous one ended. Returns the overlapping pairs.
#}
{% test no_overlapping_validity(model, column_name) %}

with

versions as (
    select
        {{ column_name }} as snapshot_key,
        dbt_valid_from,
        dbt_valid_to,
        lead(dbt_valid_from) over (
            partition by {{ column_name }}
            order by dbt_valid_from
        ) as next_valid_from
    from {{ model }}
),

final as (
    select * from versions
    where next_valid_from is not null
        and (dbt_valid_to is null or next_valid_from < dbt_valid_to)
)

select * from final

{% endtest %}
