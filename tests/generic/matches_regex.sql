{#
    Every non-null value of `column_name` matches the POSIX regular expression `pattern`
    (for example the masked mobile `^1[3-9][0-9]\*{4}[0-9]{4}$`). Returns the values that do not.
#}
{% test matches_regex(model, column_name, pattern) %}

select {{ column_name }} as unmatched_value
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }}::text !~ '{{ pattern }}'

{% endtest %}
