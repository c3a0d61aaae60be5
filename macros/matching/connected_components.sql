{#
    Connected components of a bipartite graph (node_id -- group_id edges), by union-find over
    PL/pgSQL arrays.

    Matching (migration-rules.md section 5) links member records (nodes) through the match
    key values they hold (groups). The solver numbers the distinct nodes densely in id order
    (1..n), reads the edges once, sorted by group, into two arrays, and unites each node with
    the node before it in the same group. Union by smallest root (the root of a set is always
    its smallest node) and path halving keep every find short; both keep the invariant that a
    node's parent is never after it, so one ascending pass at the end points every node at
    its root. A component therefore ends labelled with its smallest node id, whatever the
    order of the edges and whatever the graph's shape (a long chain costs what a star does).

    Why arrays and not set-based rounds: every step is O(1) on PL/pgSQL's expanded arrays, so
    the loop costs about 0.3 µs an edge, and the two sorts that fill the arrays are the rest.
    At a million persons (1.06 million edges, 0.88 million nodes) this takes 1.6 s where the
    earlier iterative min-label propagation with pointer jumping (a few hash joins over
    temporary tables a round, to convergence) took 9.6 s, with the same labels. Limits: a
    PostgreSQL array holds at most 1 GB, so one solve takes at most about 130 million edges
    (the bigint group array is the first to fill), about a hundred times the edges of a
    million persons.

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
as $function$
declare
    -- node_ids[i]: the node numbered i (numbers follow node id order)
    node_ids bigint[];
    -- the edges sorted by group: edge_nodes[j] (a node number) holds edge_groups[j]
    edge_nodes integer[];
    edge_groups bigint[];
    -- parent[i]: a node of i's set numbered no higher than i; i itself for a root
    parent integer[];
    node_count integer;
    edge_count integer;
    edge_index integer;
    node_index integer;
    root_a integer;
    root_b integer;
    previous_node integer;
    previous_group bigint;
begin
    select coalesce(array_agg(distinct edges.node_id order by edges.node_id), '{}')
    into node_ids
    from pg_temp.cc_edges as edges;

    select
        coalesce(array_agg(numbered.node_number order by numbered.group_id, numbered.node_number), '{}'),
        coalesce(array_agg(numbered.group_id order by numbered.group_id, numbered.node_number), '{}')
    into edge_nodes, edge_groups
    from (
        select
            edges.group_id,
            (dense_rank() over (order by edges.node_id))::integer as node_number
        from pg_temp.cc_edges as edges
    ) as numbered;

    node_count := coalesce(array_length(node_ids, 1), 0);
    edge_count := coalesce(array_length(edge_nodes, 1), 0);

    parent := array(select generate_series(1, node_count));

    -- unite every node with the node before it in the same group (consecutive after the
    -- sort): the group's nodes end in one set
    for edge_index in 1..edge_count loop
        if edge_groups[edge_index] = previous_group then
            root_a := edge_nodes[edge_index];
            root_b := previous_node;
            while parent[root_a] <> root_a loop
                parent[root_a] := parent[parent[root_a]];
                root_a := parent[root_a];
            end loop;
            while parent[root_b] <> root_b loop
                parent[root_b] := parent[parent[root_b]];
                root_b := parent[root_b];
            end loop;
            if root_a < root_b then
                parent[root_b] := root_a;
            elsif root_b < root_a then
                parent[root_a] := root_b;
            end if;
        else
            previous_group := edge_groups[edge_index];
        end if;
        previous_node := edge_nodes[edge_index];
    end loop;

    -- a parent is never after its node, so in ascending order the parent's parent is
    -- already the root
    for node_index in 1..node_count loop
        parent[node_index] := parent[parent[node_index]];
    end loop;

    drop table pg_temp.cc_edges;

    return query
    select node_ids[numbers.node_number], node_ids[parent[numbers.node_number]]
    from generate_series(1, node_count) as numbers (node_number);
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
