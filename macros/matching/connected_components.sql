{#
    Connected components of a bipartite graph (node_id -- group_id edges) by iterative
    min-label propagation with pointer jumping, in set-based SQL.

    Matching (migration-rules.md section 5) links member records (nodes) through the match
    key values they hold (groups). Every node starts labelled with its own id (a label is
    always a node of the same component). Each round gives every group the smallest label of
    its nodes; every node then proposes the smallest label of its groups to itself and to
    the node its label names (hooking, as in Shiloach-Vishkin: a tree's root learns what
    its members saw), and takes the smallest proposal when it is smaller
    (`update ... where new_label < label`); pointer jumping (a node adopts the label of the
    node its label names, repeated until nothing changes) then spreads it through the tree.
    Rounds repeat until no label changes, so a component ends labelled with its smallest
    node id, in a number of rounds that grows with the logarithm of the component's size,
    not with its diameter. No per-row loops and no
    recursive path enumeration: each round is a few hash joins over temporary tables, which
    are never WAL-logged, so it stays fast at tens of millions of edges. The temporary tables
    carry no indexes: every step reads most of a table, so hash joins beat index lookups, and
    the updates of a round need not maintain any index (at a million persons, indexes made
    the solver twice as slow).

    - create_matching_functions(): the DDL, run by the project's on-run-start hook
      (`{{ create_matching_functions() }}`); creates the schema it lives in when needed.
    - matching_function_schema(): the schema holding the functions.
    - connected_components(edges, node_column, group_column): a FROM-clause expression
      returning (node_id bigint, component_id bigint), one row per node that has an edge.
#}

{% macro matching_function_schema() -%}
    {{- return(adapter.dispatch('matching_function_schema', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__matching_function_schema() -%}
    {{- return(generate_schema_name('intermediate', none) | trim) -}}
{%- endmacro %}


{% macro create_matching_functions() -%}
    {{- return(adapter.dispatch('create_matching_functions', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__create_matching_functions() -%}
    {{ exceptions.raise_compiler_error(
        'create_matching_functions has no implementation for adapter ' ~ adapter.type()
    ) }}
{%- endmacro %}

{% macro postgres__create_matching_functions() -%}
{%- set schema = matching_function_schema() -%}
create schema if not exists {{ schema }};

-- The solver: reads temporary table cc_edges (node_id bigint, group_id bigint), returns
-- one row per node with the smallest node id of its component.
create or replace function {{ schema }}.connected_components_solve()
returns table (node_id bigint, component_id bigint)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set work_mem = '{{ var("large_model_work_mem", "256MB") }}'
-- plan each statement for this round's numbers: a cached generic plan would guess the size
-- of the frontier (changed_round = rounds) and scan everything
set plan_cache_mode = force_custom_plan
as $function$
declare
    changed_rows bigint;
    jumped_rows bigint;
    rounds integer := 0;
begin
    analyze pg_temp.cc_edges;

    -- label: a node of the same component, to begin with the smallest node of any of the
    -- node's groups (one set-based pass instead of a first round of updates);
    -- changed_round: the last round that lowered it (0 for the start: round 1 sees all)
    drop table if exists pg_temp.cc_labels;
    create temporary table cc_labels as
    with group_minimums as (
        select
            edges.group_id,
            min(edges.node_id) as label
        from pg_temp.cc_edges as edges
        group by edges.group_id
    )
    select
        edges.node_id,
        min(group_minimums.label) as label,
        0 as changed_round
    from pg_temp.cc_edges as edges
    inner join group_minimums
        on edges.group_id = group_minimums.group_id
    group by edges.node_id;
    analyze pg_temp.cc_labels;

    loop
        rounds := rounds + 1;

        -- every group with a node whose label changed last round takes the smallest label
        -- of its nodes (a group without one holds nothing new: all its nodes already share
        -- its smallest label)
        drop table if exists pg_temp.cc_group_labels;
        create temporary table cc_group_labels as
        select
            edges.group_id,
            min(labels.label) as label
        from pg_temp.cc_edges as edges
        inner join pg_temp.cc_labels as labels
            on edges.node_id = labels.node_id
        where edges.group_id in (
            select active_edges.group_id
            from pg_temp.cc_labels as changed_labels
            inner join pg_temp.cc_edges as active_edges
                on changed_labels.node_id = active_edges.node_id
            where changed_labels.changed_round = rounds - 1
        )
        group by edges.group_id;
        analyze pg_temp.cc_group_labels;

        drop table if exists pg_temp.cc_candidates;
        create temporary table cc_candidates as
        select
            edges.node_id,
            min(group_labels.label) as label
        from pg_temp.cc_group_labels as group_labels
        inner join pg_temp.cc_edges as edges
            on group_labels.group_id = edges.group_id
        group by edges.node_id;
        analyze pg_temp.cc_candidates;

        -- every node proposes the smallest label of its groups to itself and to the node
        -- its label names (hooking: a tree's root learns what its members saw, so the new
        -- label reaches the whole tree by pointer jumping, not one hop per round)
        update pg_temp.cc_labels as labels
        set
            label = proposals.label,
            changed_round = rounds
        from (
            select
                proposed.target_id,
                min(proposed.label) as label
            from (
                select
                    candidates.node_id as target_id,
                    candidates.label
                from pg_temp.cc_candidates as candidates
                union all
                select
                    current_labels.label as target_id,
                    candidates.label
                from pg_temp.cc_candidates as candidates
                inner join pg_temp.cc_labels as current_labels
                    on candidates.node_id = current_labels.node_id
                where candidates.label < current_labels.label
            ) as proposed
            group by proposed.target_id
        ) as proposals
        where
            proposals.target_id = labels.node_id
            and proposals.label < labels.label;
        get diagnostics changed_rows = row_count;
        exit when changed_rows = 0;
        analyze pg_temp.cc_labels;

        -- pointer jumping: a node takes the label of the node its label names, until no
        -- label changes; only a node that changed since the previous round's jumping, or one
        -- pointing at such a node, can move (round 1 settles the starting labels)
        loop
            update pg_temp.cc_labels as labels
            set
                label = jumps.label,
                changed_round = rounds
            from (
                select
                    movable.node_id,
                    min(movable.label) as label
                from (
                    select
                        followers.node_id,
                        targets.label
                    from pg_temp.cc_labels as targets
                    inner join pg_temp.cc_labels as followers
                        on targets.node_id = followers.label
                    where
                        targets.changed_round >= rounds - 1
                        and targets.label < followers.label
                    union all
                    select
                        movers.node_id,
                        targets.label
                    from pg_temp.cc_labels as movers
                    inner join pg_temp.cc_labels as targets
                        on movers.label = targets.node_id
                    where
                        movers.changed_round >= rounds - 1
                        and targets.label < movers.label
                ) as movable
                group by movable.node_id
            ) as jumps
            where
                jumps.node_id = labels.node_id
                and jumps.label < labels.label;
            get diagnostics jumped_rows = row_count;
            exit when jumped_rows = 0;
        end loop;
    end loop;

    raise log 'connected_components: converged after % rounds', rounds;

    return query
    select labels.node_id, labels.label
    from pg_temp.cc_labels as labels;

    drop table pg_temp.cc_candidates;
    drop table pg_temp.cc_group_labels;
    drop table pg_temp.cc_labels;
    drop table pg_temp.cc_edges;
end;
$function$;

-- Components of the edges held in a table or view (the production path). Edges need not be
-- distinct: a repeated edge costs a little time, never a wrong label.
create or replace function {{ schema }}.connected_components(
    edge_table regclass,
    node_column text,
    group_column text
)
returns table (node_id bigint, component_id bigint)
language plpgsql
volatile
set work_mem = '{{ var("large_model_work_mem", "256MB") }}'
as $function$
begin
    drop table if exists pg_temp.cc_edges;
    execute format(
        'create temporary table cc_edges as '
        'select %1$I::bigint as node_id, %2$I::bigint as group_id '
        'from %3$s where %1$I is not null and %2$I is not null',
        node_column, group_column, edge_table
    );
    return query select * from {{ schema }}.connected_components_solve();
end;
$function$;

-- Components of edges passed as two parallel arrays (for inputs that are not tables, such as
-- the fixtures of a dbt unit test); same solver.
create or replace function {{ schema }}.connected_components(
    node_ids bigint[],
    group_ids bigint[]
)
returns table (node_id bigint, component_id bigint)
language plpgsql
volatile
set work_mem = '{{ var("large_model_work_mem", "256MB") }}'
as $function$
begin
    drop table if exists pg_temp.cc_edges;
    create temporary table cc_edges as
    select distinct edges.node_id, edges.group_id
    from unnest(node_ids, group_ids) as edges (node_id, group_id)
    where edges.node_id is not null and edges.group_id is not null;
    return query select * from {{ schema }}.connected_components_solve();
end;
$function$;
{%- endmacro %}


{% macro connected_components(edges, node_column, group_column) -%}
    {{- return(adapter.dispatch('connected_components', 'member_migration')(edges, node_column, group_column)) -}}
{%- endmacro %}

{% macro postgres__connected_components(edges, node_column, group_column) -%}
    {%- set schema = matching_function_schema() -%}
    {%- if edges.is_cte or (edges.identifier or '').startswith('__dbt__cte__') or edges.limit is not none or edges.event_time_filter is not none -%}
        {#- a CTE (unit-test fixture), or a relation rendered as a subquery (`dbt build
            --empty`, a sample or microbatch filter), has no table to name: pass its edges as
            two arrays in the same order -#}
        {{ schema }}.connected_components(
            (
                select array_agg({{ node_column }} order by {{ node_column }}, {{ group_column }})
                from {{ edges }}
            ),
            (
                select array_agg({{ group_column }} order by {{ node_column }}, {{ group_column }})
                from {{ edges }}
            )
        )
    {%- else -%}
        {{ schema }}.connected_components(
            '{{ edges }}'::regclass,
            '{{ node_column }}',
            '{{ group_column }}'
        )
    {%- endif -%}
{%- endmacro %}
