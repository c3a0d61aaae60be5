{#
    Every non-null value of `column_name` is one of the values of `seed_column` in the mapping
    seed `seed` (for example tier codes against seed tiers), so the list of allowed codes lives in
    one place. Returns the values that are not.
#}
{% test accepted_from_seed(model, column_name, seed, seed_column) %}

with

tested as (
    select * from {{ model }}
),

allowed as (
    select distinct {{ seed_column }} as allowed_value
    from {{ ref(seed) }}
),

final as (
    select distinct tested.{{ column_name }} as unaccepted_value
    from tested
    left join allowed
        on tested.{{ column_name }}::text = allowed.allowed_value::text
    where tested.{{ column_name }} is not null
        and allowed.allowed_value is null
)

select * from final

{% endtest %}
