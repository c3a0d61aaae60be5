{#
    Schema-level privileges of the contract's roles (mart-contract.md, "Roles"), enforced by
    PostgreSQL itself. Table SELECT comes from dbt's `grants` config per folder
    (dbt_project.yml: marts -> bi_reader, crm_loader; pii -> crm_loader); a table is readable
    only through a schema the role has USAGE on, and this macro decides those:

    - `marts`: USAGE for bi_reader and crm_loader; `pii`: USAGE for crm_loader only;
    - `marts_candidate`/`pii_candidate` and `marts_previous`/`pii_previous`: USAGE revoked from
      both roles and PUBLIC, and nothing else: their tables keep the SELECT grants of the
      published version, so that a publish or a rollback (a schema rename) makes them readable
      by exactly the right roles at once;
    - every other schema of the project (raw, staging, intermediate, audit, snapshots, mapping,
      the target schema, the schemas of every node in the graph, and the candidate/previous
      schemas of the publish step): every privilege of both roles revoked, on the schema, its
      tables, sequences and routines, and their default privileges of the current role; PUBLIC
      loses every privilege there too (EXECUTE on the hooks' functions, which PostgreSQL grants
      it by default), except in the `public` schema, where it loses only CREATE: extensions
      live there, and nothing of this project does.

    apply_schema_privileges() returns one SQL statement (a DO block): idempotent, safe inside a
    transaction (the publish step runs it in its own), silent about schemas that do not exist
    yet, and skipping a contract role the server does not have (the model grants then fail and
    say so). It runs in the project's on-run-end hook.
#}

{#- The published schemas and the contract roles that may read them. -#}
{% macro published_schema_readers() -%}
    {{- return({'marts': ['bi_reader', 'crm_loader'], 'pii': ['crm_loader']}) -}}
{%- endmacro %}


{#- Every schema this project writes, other than the published ones. -#}
{% macro unpublished_project_schemas() -%}
    {%- set published = published_schema_readers() -%}
    {%- set schemas = [
        'raw', 'staging', 'intermediate', 'audit', 'snapshots', 'mapping', target.schema
    ] -%}
    {%- for name in published -%}
        {%- do schemas.extend([name ~ '_candidate', name ~ '_previous']) -%}
    {%- endfor -%}
    {%- if execute and graph is defined -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.schema -%}{%- do schemas.append(node.schema) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set result = [] -%}
    {%- for name in schemas -%}
        {%- if name not in published and name not in result -%}
            {%- do result.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(result) -}}
{%- endmacro %}


{% macro apply_schema_privileges() -%}
    {{- return(adapter.dispatch('apply_schema_privileges', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__apply_schema_privileges() -%}
    {{ exceptions.raise_compiler_error(
        'apply_schema_privileges is not implemented for adapter ' ~ adapter.type()
    ) }}
{%- endmacro %}

{% macro postgres__apply_schema_privileges() -%}
{%- set readers = published_schema_readers() -%}
{%- set roles = [] -%}
{%- for names in readers.values() -%}
    {%- for name in names if name not in roles -%}{%- do roles.append(name) -%}{%- endfor -%}
{%- endfor -%}
do $member_migration_privileges$
declare
    readers constant jsonb := '{{ tojson(readers) }}'::jsonb;
    unpublished constant text[] := array[
        {%- for name in unpublished_project_schemas() %}
        '{{ name }}'{{ ',' if not loop.last }}
        {%- endfor %}
    ]::text[];
    -- candidate and previous versions of the published schemas: their tables keep the grants
    -- of the published ones (a publish or a rollback renames them into place); USAGE on the
    -- schema is what keeps readers out
    published_versions constant text[] := array[
        {%- for name in readers %}'{{ name }}_candidate', '{{ name }}_previous'{{ ', ' if not loop.last }}{%- endfor -%}
    ]::text[];
    contract_roles constant text[] := array[
        {%- for name in roles %}'{{ name }}'{{ ', ' if not loop.last }}{%- endfor -%}
    ]::text[];
    present_roles text[];
    schema_name text;
    role_name text;
begin
    select coalesce(array_agg(rolname::text), '{}') into present_roles
    from pg_roles
    where rolname = any(contract_roles);
    -- published schemas: USAGE for their readers, nothing at all for the other contract role
    for schema_name in
        select nspname::text from pg_namespace where nspname in (select jsonb_object_keys(readers))
    loop
        foreach role_name in array present_roles loop
            if readers -> schema_name ? role_name then
                execute format('grant usage on schema %I to %I', schema_name, role_name);
                execute format('revoke create on schema %I from %I', schema_name, role_name);
            else
                execute format('revoke all on schema %I from %I', schema_name, role_name);
                execute format(
                    'revoke all on all tables in schema %I from %I', schema_name, role_name
                );
            end if;
        end loop;
        execute format('revoke all on schema %I from public', schema_name);
        execute format('revoke all on all tables in schema %I from public', schema_name);
        execute format('revoke all on all routines in schema %I from public', schema_name);
    end loop;
    -- every other project schema: nothing for either role, nor for PUBLIC
    for schema_name in
        select nspname::text from pg_namespace where nspname = any(unpublished)
    loop
        if schema_name = any(published_versions) then
            foreach role_name in array present_roles loop
                execute format('revoke all on schema %I from %I', schema_name, role_name);
            end loop;
            execute format('revoke all on schema %I from public', schema_name);
            continue;
        end if;
        foreach role_name in array present_roles loop
            execute format('revoke all on schema %I from %I', schema_name, role_name);
            execute format('revoke all on all tables in schema %I from %I', schema_name, role_name);
            execute format(
                'revoke all on all sequences in schema %I from %I', schema_name, role_name
            );
            execute format(
                'revoke all on all routines in schema %I from %I', schema_name, role_name
            );
            execute format(
                'alter default privileges in schema %I revoke all on tables from %I',
                schema_name, role_name
            );
            execute format(
                'alter default privileges in schema %I revoke all on sequences from %I',
                schema_name, role_name
            );
            execute format(
                'alter default privileges in schema %I revoke all on routines from %I',
                schema_name, role_name
            );
        end loop;
        if schema_name = 'public' then
            -- PostgreSQL's own schema (extensions live there): only CREATE is taken from PUBLIC
            execute 'revoke create on schema public from public';
        else
            execute format('revoke all on schema %I from public', schema_name);
            execute format('revoke all on all tables in schema %I from public', schema_name);
            execute format('revoke all on all routines in schema %I from public', schema_name);
        end if;
    end loop;
end
$member_migration_privileges$
{%- endmacro %}
