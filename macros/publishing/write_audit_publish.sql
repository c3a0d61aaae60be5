{#
    Write-audit-publish: BI never sees an unverified mart.

    `dbt build` (and `dbt run`, `dbt retry`) write the models of the published schemas (marts,
    pii) into candidate schemas (marts_candidate, pii_candidate) that no reader role can use;
    their tests, the reconciliation and the quality gate run against the candidates; only a
    complete, green `dbt build` then swaps the candidates in (on-run-end hook
    publish_if_verified, one transaction). Every other command (`docs generate`, `test`,
    `show`, `compile`, `ls`, sqlfluff) sees the published schemas.

    Why at run time and not in generate_schema_name: dbt's partial parsing keeps the schemas a
    previous command resolved (the command is not part of its state check), so a parse-time
    choice made for `dbt ls` would let the next `dbt run` write straight into marts. Here the
    manifest always names the published schemas; the table materialization (table.sql) and
    ref() (ref.sql) redirect to the candidate at run time.
#}

{#- The schemas BI and the CRM import read; a build writes them through candidates. -#}
{% macro published_schemas() -%}
    {{ return(['marts', 'pii']) }}
{%- endmacro %}

{% macro candidate_schema(schema_name) -%}
    {{ return(schema_name ~ '_candidate') }}
{%- endmacro %}

{% macro previous_schema(schema_name) -%}
    {{ return(schema_name ~ '_previous') }}
{%- endmacro %}

{#- True when this invocation writes published models into candidates: build, run and retry,
    unless var publish is false (development only: then they are written in place). -#}
{% macro writes_candidates() -%}
    {%- set publish = var('publish', true) -%}
    {%- set switched_off = publish is sameas false or (publish | string | lower) in ('false', 'no', 'off', '0') -%}
    {{ return(flags.WHICH in ('build', 'run', 'retry') and not switched_off) }}
{%- endmacro %}

{#- The candidate of a published relation (any other relation is returned as it is). -#}
{% macro candidate_relation(relation) -%}
    {%- if relation.schema in published_schemas() -%}
        {{ return(relation.incorporate(path={'schema': candidate_schema(relation.schema)})) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#- The unique ids of the project's models that live in a published schema. -#}
{% macro published_model_ids() -%}
    {%- set ids = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.schema in published_schemas() -%}
            {%- do ids.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(ids) }}
{%- endmacro %}

{#- on-run-start: a fresh, empty candidate schema for each published schema this invocation
    writes (created once, before the models run in parallel: concurrent CREATE SCHEMA IF NOT
    EXISTS can collide). A candidate lives for one invocation: nothing of an earlier, refused
    build can slip into a publish. -#}
{% macro create_candidate_schemas() -%}
    {%- if execute and writes_candidates() -%}
        {%- set schemas = [] -%}
        {%- for node_id in published_model_ids() if node_id in selected_resources -%}
            {%- set schema = candidate_schema(graph.nodes[node_id].schema) -%}
            {%- if schema not in schemas -%}
                {%- do schemas.append(schema) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if schemas -%}
            {{ log('Write-audit-publish: the selected models of ' ~ published_schemas() | join(', ')
                ~ ' are written to ' ~ schemas | sort | join(', ') ~ ' (the log names them by '
                ~ 'their published names); a complete, green `dbt build` publishes them at the '
                ~ 'end.', info=true) }}
            {#- A view elsewhere built on an old candidate table goes with the schema; dbt's
                relation cache does not know (it links views to tables in the published
                schemas only), so tell it. -#}
            {%- set dependents_query -%}
                select view_schema as schema_name, view_name as relation_name
                from audit.cross_schema_views_on(
                    array[{% for s in schemas %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %}]::text[]
                )
            {%- endset -%}
            {%- for row in run_query(dependents_query) -%}
                {%- do adapter.cache_dropped(api.Relation.create(
                    database=target.database, schema=row['schema_name'],
                    identifier=row['relation_name'], type='view')) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for schema in schemas | sort %}
drop schema if exists {{ adapter.quote(schema) }} cascade;
create schema {{ adapter.quote(schema) }};
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
