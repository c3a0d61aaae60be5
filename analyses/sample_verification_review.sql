-- The reviewers' spot check, one member per block: legacy values beside migrated values.
-- Compile with `dbt compile --select sample_verification` and run the SQL in target/ with psql.
select *
from {{ ref('sample_verification') }}
order by member_id, source_system, source_key
