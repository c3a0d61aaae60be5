{#
    A snapshot holds at most one current version (dbt_valid_to is null) per key.
    Returns the keys with more than one.
#}
{% test one_current_row_per_key(model, column_name) %}

select
    {{ column_name }} as snapshot_key,
    count(*) as current_versions
from {{ model }}
where dbt_valid_to is null
group by {{ column_name }}
having count(*) > 1

{% endtest %}
