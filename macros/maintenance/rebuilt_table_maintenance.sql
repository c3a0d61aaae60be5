{#
    rebuilt_table_maintenance(): post-hook SQL for a table that every build drops and creates
    again (the intermediate, marts, pii and audit folders; not the snapshots, which a build
    updates in place), through adapter.dispatch.

    - Planner statistics right away (analyze): the models and tests downstream in the same
      build read the table next, and without statistics the planner guesses its size (hash
      joins built on the wrong side, aggregates that spill).
    - No autovacuum: the server would otherwise vacuum and analyze each fresh table once,
      concurrently with the build (about a second per million rows each), for a table that
      the next build replaces anyway. For the marts and pii candidates it matters twice: the
      publish locks every candidate table, and a lock waits for a running autovacuum (the
      publish waited 15 s for fct_points_ledger at a million persons). Nothing updates or
      deletes rows of these tables, so there is nothing for autovacuum to reclaim; the
      server's anti-wraparound vacuum still runs when it is due (it ignores this setting).

    Renders nothing for a view, and no second analyze for a model whose own post-hooks
    already analyze it.
#}
{% macro rebuilt_table_maintenance() -%}
    {{- return(adapter.dispatch('rebuilt_table_maintenance', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__rebuilt_table_maintenance() -%}
{%- endmacro %}

{% macro postgres__rebuilt_table_maintenance() -%}
    {%- if model is defined and model.config.materialized == 'table' -%}
        {%- set analyzes_itself = [] -%}
        {%- for hook in model.config.get('post-hook', []) -%}
            {%- if ((hook.sql if hook is mapping else hook) | trim | lower).startswith('analyze') -%}
                {%- do analyzes_itself.append(true) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- the table this build wrote: a marts or pii model goes to its candidate schema, while
            `this` names the published table, which the publish replaces later -#}
        {%- set written = candidate_relation(this) if writes_candidates() else this -%}
        alter table {{ written }} set (autovacuum_enabled = false, toast.autovacuum_enabled = false);
        {%- if not analyzes_itself %}
        analyze {{ written }};
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
