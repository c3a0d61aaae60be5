{#
    Validating JSON without failing the query. On PostgreSQL 16 and later the function is a small
    PL/pgSQL function that casts only a value pg_input_is_valid accepted, in a statement of its
    own. It is not a SQL function `select case when pg_input_is_valid(value, 'jsonb') then
    value::jsonb end`: that one is not inlined (its body is stable, the function immutable), and
    PostgreSQL 18 plans a SQL function's body through the plan cache, whose first plans are custom
    plans with the argument as a constant, and constant folding then casts the THEN branch's
    constant before the CASE is evaluated: invalid JSON among the first five values of a query
    raised an error (a wechat_member.csv opening with a broken ext_attrs stopped the build).
    PostgreSQL 15 has no pg_input_is_valid and no IS JSON predicate, so there it is a small
    PL/pgSQL function with an exception handler, parallel restricted (a parallel worker cannot
    open the subtransaction an exception block needs). Either returns the jsonb value, or null
    when the text is not JSON. The function lives in the staging schema
    (json_helper_schema()) and is (re)created by the on-run-start hook

        on-run-start:
          - "{{ create_json_helpers() }}"

    so every dbt invocation that builds models finds it.
#}

{#- The schema the helper functions live in: the staging layer, which uses them. -#}
{% macro json_helper_schema() -%}
    {{- return('staging') -}}
{%- endmacro %}


{#- create_json_helpers(): SQL that creates the helper functions (idempotent). -#}
{% macro create_json_helpers() -%}
    {{- return(adapter.dispatch('create_json_helpers', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__create_json_helpers() -%}
    {{ exceptions.raise_compiler_error("create_json_helpers is not implemented for " ~ target.type) }}
{%- endmacro %}

{% macro postgres__create_json_helpers() -%}
    create schema if not exists {{ json_helper_schema() }};
    do $create_helpers$
    begin
        if current_setting('server_version_num')::integer >= 160000 then
            -- pg_input_is_valid (PostgreSQL 16+) validates without raising; the cast is a
            -- statement of its own, planned and run only for a value that passed (no exception
            -- block, so safe in parallel workers)
            execute $function$
                create or replace function {{ json_helper_schema() }}.try_cast_jsonb(value text)
                returns jsonb
                language plpgsql
                immutable
                parallel safe
                as $body$
                begin
                    if pg_input_is_valid(value, 'jsonb') then
                        return value::jsonb;
                    end if;
                    return null;
                end;
                $body$
            $function$;
        else
            -- PostgreSQL 15: catch the cast's error. An exception block opens a
            -- subtransaction, which a parallel worker cannot do (the handler would then
            -- return null for every value), so the function is parallel restricted: it runs
            -- in the leader only.
            execute $function$
                create or replace function {{ json_helper_schema() }}.try_cast_jsonb(value text)
                returns jsonb
                language plpgsql
                immutable
                parallel restricted
                as $body$
                begin
                    return value::jsonb;
                exception
                    when others then
                        return null;
                end;
                $body$
            $function$;
        end if;
    end
    $create_helpers$;
{%- endmacro %}


{#-
    try_cast_jsonb(expr): the text expression as jsonb, or null when it is missing or not
    valid JSON. Requires create_json_helpers() to have run in the target database.
-#}
{% macro try_cast_jsonb(expr) -%}
    {{- return(adapter.dispatch('try_cast_jsonb', 'member_migration')(expr)) -}}
{%- endmacro %}

{% macro default__try_cast_jsonb(expr) -%}
    {{ exceptions.raise_compiler_error("try_cast_jsonb is not implemented for " ~ target.type) }}
{%- endmacro %}

{% macro postgres__try_cast_jsonb(expr) -%}
    {{ json_helper_schema() }}.try_cast_jsonb({{ expr }})
{%- endmacro %}


{#-
    Operation for a database whose dbt_project.yml does not run the hook yet:
        dbt run-operation install_json_helpers
-#}
{% macro install_json_helpers() -%}
    {% do run_query(create_json_helpers()) %}
    {% do log("json helpers installed in schema " ~ json_helper_schema(), info=true) %}
{%- endmacro %}
