{#
    resolve_versions(rows, recency_column=none): which version of a legacy row counts
    (migration-rules.md section 4). `rows` names a relation or CTE with the staging columns
    source_key, _batch_id, _record_number and row_hash (plus `recency_column` when given).
    Returns a select of every input row with:

    - duplicate_rank: 1 for the first record (lowest _record_number) of each group of rows that
      are identical in every contract column within one batch; >1 for the collapsed copies.
    - collapsed_copies: on the survivor (duplicate_rank 1), how many copies were collapsed into
      it; 0 on every other row.
    - version_rank: among the surviving rows of one key, 1 for the winning version: the highest
      _batch_id; within that batch the later recency (a row with one beats a row without),
      else the later _record_number. Null for collapsed copies; 1 for a row without a key (it is
      its own winning row).
    - version_status: 'duplicate', 'superseded' or 'winner'; is_winner.
#}
{% macro resolve_versions(rows, recency_column=none) -%}
    select
        ranked.*,
        case
            when ranked.duplicate_rank > 1 then 'duplicate'
            when ranked.version_rank = 1 then 'winner'
            else 'superseded'
        end as version_status,
        coalesce(ranked.duplicate_rank = 1 and ranked.version_rank = 1, false) as is_winner
    from (
        select
            deduplicated.*,
            case
                when deduplicated.duplicate_rank > 1 then null
                when deduplicated.source_key is null then 1
                else row_number() over (
                    partition by deduplicated.source_key, deduplicated.duplicate_rank = 1
                    order by
                        deduplicated._batch_id desc,
                        {%- if recency_column is not none %}
                        deduplicated.{{ recency_column }} desc nulls last,
                        {%- endif %}
                        deduplicated._record_number desc
                )
            end as version_rank
        from (
            select
                {{ rows }}.*,
                row_number() over (
                    partition by {{ rows }}._batch_id, {{ rows }}.row_hash
                    order by {{ rows }}._record_number
                ) as duplicate_rank,
                case
                    when row_number() over (
                        partition by {{ rows }}._batch_id, {{ rows }}.row_hash
                        order by {{ rows }}._record_number
                    ) = 1
                        then count(*) over (partition by {{ rows }}._batch_id, {{ rows }}.row_hash) - 1
                    else 0
                end as collapsed_copies
            from {{ rows }}
        ) as deduplicated
    ) as ranked
{%- endmacro %}
