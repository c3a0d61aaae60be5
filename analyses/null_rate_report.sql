-- The quality gate at a glance: each gated field, its null rate and threshold, failures first.
select
    column_name,
    model_name,
    null_rate,
    max_null_rate,
    is_passing
from {{ ref('null_rates') }}
order by is_passing asc, null_rate desc
