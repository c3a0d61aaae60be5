{#
    ref(), as dbt's, except in an invocation that writes candidates (write_audit_publish.sql):
    a published model (marts, pii) selected in this invocation resolves to its candidate, the
    table this invocation wrote and is testing. A published model not selected resolves to the
    published table, so `dbt build -s migration_reconciliation` checks what BI sees.
#}
{% macro ref() -%}
    {%- set version = kwargs.get('version') or kwargs.get('v') -%}
    {%- if (varargs | length) == 1 -%}
        {%- set relation = builtins.ref(varargs[0], version=version) -%}
    {%- else -%}
        {%- set relation = builtins.ref(varargs[0], varargs[1], version=version) -%}
    {%- endif -%}
    {%- if execute and relation.schema in published_schemas() and writes_candidates() -%}
        {%- for node_id in published_model_ids() if node_id in selected_resources -%}
            {%- set node = graph.nodes[node_id] -%}
            {%- if node.schema == relation.schema and (node.alias or node.name) == relation.identifier -%}
                {{ return(candidate_relation(relation)) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
