{#
    Every value of `column_name` is zero (nulls count as failures): the reconciliation's
    `difference` column, where anything else means a legacy row, point or yuan went missing.
    Returns the rows that are not zero.
#}
{% test all_zero(model, column_name) %}

select *
from {{ model }}
where {{ column_name }} is null or {{ column_name }} <> 0

{% endtest %}
