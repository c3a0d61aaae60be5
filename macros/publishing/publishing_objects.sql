{#
    create_publishing_objects(): on-run-start DDL, idempotent. Creates, outside dbt's models
    (they survive every rebuild, and backups keep them):
    - audit.publish_events: one row per publish, refusal, rollback and refused rollback;
    - audit.swap_published_schemas(action, ...): the publish and the rollback, each one
      transaction (member-migration rollback calls it too, so both share one implementation);
    - audit.cross_schema_views_on(schemas): the views in other schemas built on their
      relations (which a drop ... cascade would take along), read by the swap and by
      create_candidate_schemas.
#}
{% macro create_publishing_objects() -%}
    {{- return(adapter.dispatch('create_publishing_objects', 'member_migration')()) -}}
{%- endmacro %}

{% macro default__create_publishing_objects() -%}
    {{ exceptions.raise_compiler_error(
        'create_publishing_objects has no implementation for adapter ' ~ adapter.type()
    ) }}
{%- endmacro %}

{#- Advisory lock key serialising publishes and rollbacks ("mm_publ"). -#}
{% macro publish_lock_key() -%}
    {{ return(30803263315472748) }}
{%- endmacro %}

{% macro postgres__create_publishing_objects() -%}
{%- set schemas = published_schemas() -%}
{%- set readers = published_schema_readers() -%}
create schema if not exists audit;

create table if not exists audit.publish_events (
    event_id bigint generated always as identity primary key,
    action text not null
        check (action in ('published', 'refused', 'rolled_back', 'rollback_refused')),
    occurred_at timestamptz not null default clock_timestamp(),
    database_user text not null default current_user,
    os_user text,
    command text not null,
    invocation_id text,
    tables text[],
    reasons text[],
    detail jsonb
);
comment on table audit.publish_events is
    'One row per publish of the candidate marts/pii, refused publish, rollback and refused '
    'rollback (written by the dbt build''s on-run-end hook and by member-migration rollback).';

-- Views in another schema built on a relation of p_schemas: a drop ... cascade of those
-- schemas would take them along. Read by the publish step, the rollback and the candidate setup.
create or replace function audit.cross_schema_views_on(p_schemas text[])
returns table (view_schema text, view_name text)
language sql stable
as $fn$
    select distinct dn.nspname::text, dc.relname::text
    from pg_depend as d
    inner join pg_rewrite as r on d.objid = r.oid
    inner join pg_class as dc on r.ev_class = dc.oid
    inner join pg_namespace as dn on dc.relnamespace = dn.oid
    inner join pg_class as c on d.refobjid = c.oid
    inner join pg_namespace as n on c.relnamespace = n.oid
    where d.classid = 'pg_rewrite'::regclass
        and d.refclassid = 'pg_class'::regclass
        and n.nspname = any(p_schemas)
        and dn.nspname <> n.nspname
$fn$;

create or replace function audit.swap_published_schemas(
    p_action text,
    p_command text,
    p_os_user text default null,
    p_invocation_id text default null,
    p_detail jsonb default '{}',
    p_lock_wait_seconds double precision default 60
)
returns text
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $function$
declare
    published constant text[] := array[{% for s in schemas %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %}];
    readers constant jsonb := '{{ tojson(readers) }}';
    every_schema text[];
    s text;
    role_name text;
    rel text;
    missing text[];
    last_action text;
    old_lock_timeout text;
    deadline timestamptz;
    swapped text[];
    dependents text;
    followers text[];
    kept text;
    detail jsonb := coalesce(p_detail, '{}');
begin
    if p_action not in ('publish', 'rollback') then
        raise exception 'swap_published_schemas: unknown action %', p_action;
    end if;
    -- one publish or rollback at a time
    perform pg_advisory_xact_lock({{ publish_lock_key() }});

    select array_agg(x) into every_schema from (
        select unnest(published) as x
        union all select unnest(published) || '_candidate'
        union all select unnest(published) || '_previous'
    ) as names;

    if p_action = 'publish' then
        select array_agg(x) into missing from unnest(published) as x
        where to_regnamespace(x || '_candidate') is null;
        if missing is not null then
            raise exception 'nothing to publish: the candidate schema(s) % do not exist',
                (select string_agg(m || '_candidate', ', ') from unnest(missing) as m);
        end if;
    else
        -- a previous version is a kept schema that holds tables
        select array_agg(x) into missing from unnest(published) as x
        where not exists (
            select from pg_class as c
            inner join pg_namespace as n on c.relnamespace = n.oid
            where n.nspname = x || '_previous' and c.relkind in ('r', 'p', 'v', 'm')
        );
        if missing is not null then
            insert into audit.publish_events (action, command, os_user, invocation_id, reasons, detail)
            values ('rollback_refused', p_command, p_os_user, p_invocation_id,
                array['there is no previous version to go back to (no '
                    || (select string_agg(m || '_previous', ', ') from unnest(missing) as m)
                    || '): a version is kept only once a second build has been published'],
                detail);
            return 'refused: there is no previous version to roll back to (no '
                || (select string_agg(m || '_previous', ', ') from unnest(missing) as m) || ')';
        end if;
        select action into last_action from audit.publish_events
        where action in ('published', 'rolled_back')
        order by event_id desc limit 1;
        if last_action = 'rolled_back' then
            insert into audit.publish_events (action, command, os_user, invocation_id, reasons, detail)
            values ('rollback_refused', p_command, p_os_user, p_invocation_id,
                array['the last change was already a rollback: the previous schemas now hold the '
                    || 'version it replaced; run dbt build to publish a new version'],
                detail);
            return 'refused: the last change was already a rollback (a second one would bring '
                || 'back the version it replaced); run dbt build to publish a new version';
        end if;
    end if;

    -- Take every table a reader might be using, so that no statement sees some tables of the
    -- old version and some of the new: a reader that resolved a table waits for the commit
    -- and then resolves it again. Never wait long enough to be part of a deadlock with a
    -- reader (lock_timeout below deadlock_timeout): give everything back and try again.
    old_lock_timeout := current_setting('lock_timeout');
    perform set_config('lock_timeout', '200ms', true);
    deadline := clock_timestamp() + make_interval(secs => p_lock_wait_seconds);
    loop
        begin
            for rel in
                select format('%I.%I', n.nspname, c.relname)
                from pg_class as c
                inner join pg_namespace as n on c.relnamespace = n.oid
                where n.nspname = any(every_schema) and c.relkind in ('r', 'p', 'v', 'm', 'f')
                order by n.nspname, c.relname
            loop
                execute format('lock table %s in access exclusive mode', rel);
            end loop;
            exit;
        exception when lock_not_available or deadlock_detected then
            if clock_timestamp() > deadline then
                insert into audit.publish_events
                    (action, command, os_user, invocation_id, reasons, detail)
                values (
                    case p_action when 'publish' then 'refused' else 'rollback_refused' end,
                    p_command, p_os_user, p_invocation_id,
                    array['could not lock the published tables within '
                        || p_lock_wait_seconds || ' s: long-running readers held them'],
                    detail);
                return 'refused: could not lock the published tables within '
                    || p_lock_wait_seconds || ' s (long-running readers held them); try again';
            end if;
            perform pg_sleep(0.05);
        end;
    end loop;
    perform set_config('lock_timeout', old_lock_timeout, true);

    if p_action = 'publish' then
        -- A view outside these schemas built on the kept version would go with it (drop ...
        -- cascade): refuse rather than drop someone's view.
        select string_agg(distinct format('%I.%I', v.view_schema, v.view_name), ', ')
        into dependents
        from audit.cross_schema_views_on(
            array(select unnest(published) || '_previous')
        ) as v
        where not v.view_schema = any(every_schema);
        if dependents is not null then
            insert into audit.publish_events (action, command, os_user, invocation_id, reasons, detail)
            values ('refused', p_command, p_os_user, p_invocation_id,
                array['views outside the published schemas depend on the kept previous version, '
                    || 'which a publish drops: ' || dependents
                    || '; recreate them on the published tables (or drop them) and build again'],
                detail);
            return 'refused: views outside the published schemas depend on the kept previous '
                || 'version, which a publish drops (' || dependents || '); recreate them on the '
                || 'published tables (or drop them) and build again';
        end if;
        -- A view elsewhere on the published tables follows them to *_previous: say so.
        select array_agg(distinct format('%I.%I', v.view_schema, v.view_name))
        into followers
        from audit.cross_schema_views_on(published) as v
        where not v.view_schema = any(every_schema);
        if followers is not null then
            detail := detail || jsonb_build_object('views_left_on_previous', to_jsonb(followers));
        end if;
    end if;

    foreach s in array published loop
        if p_action = 'publish' then
            execute format('drop schema if exists %I cascade', s || '_previous');
            if to_regnamespace(s) is not null then
                if exists (
                    select from pg_class as c
                    inner join pg_namespace as n on c.relnamespace = n.oid
                    where n.nspname = s and c.relkind in ('r', 'p', 'v', 'm')
                ) then
                    execute format('alter schema %I rename to %I', s, s || '_previous');
                else
                    -- the empty schema dbt creates before a first build: no version to keep
                    -- (kept after all if something else lives in it)
                    begin
                        execute format('drop schema %I', s);
                    exception when dependent_objects_still_exist then
                        execute format('alter schema %I rename to %I', s, s || '_previous');
                    end;
                end if;
            end if;
            execute format('alter schema %I rename to %I', s || '_candidate', s);
        else
            execute format('alter schema %I rename to %I', s, s || '_rolling_back');
            execute format('alter schema %I rename to %I', s || '_previous', s);
            execute format('alter schema %I rename to %I', s || '_rolling_back', s || '_previous');
        end if;
        -- schema privileges: the readers use the published schema, nobody the kept version
        for role_name in select jsonb_array_elements_text(readers -> s) loop
            if exists (select from pg_roles where rolname = role_name) then
                execute format('grant usage on schema %I to %I', s, role_name);
                if to_regnamespace(s || '_previous') is not null then
                    execute format('revoke usage on schema %I from %I', s || '_previous', role_name);
                end if;
            end if;
        end loop;
    end loop;

    select array_agg(format('%I.%I', n.nspname, c.relname) order by n.nspname, c.relname)
    into swapped
    from pg_class as c
    inner join pg_namespace as n on c.relnamespace = n.oid
    where n.nspname = any(published) and c.relkind in ('r', 'p', 'v', 'm');

    if to_regclass('raw.batch_manifest') is not null then
        detail := detail || jsonb_build_object(
            'raw_batch_ids',
            (select coalesce(jsonb_agg(distinct batch_id order by batch_id), '[]')
             from raw.batch_manifest)
        );
    end if;

    insert into audit.publish_events (action, command, os_user, invocation_id, tables, detail)
    values (
        case p_action when 'publish' then 'published' else 'rolled_back' end,
        p_command, p_os_user, p_invocation_id, swapped, detail
    );
    select string_agg(x || '_previous', ', ') into kept
    from unnest(published) as x
    where exists (
        select from pg_class as c
        inner join pg_namespace as n on c.relnamespace = n.oid
        where n.nspname = x || '_previous' and c.relkind in ('r', 'p', 'v', 'm')
    );
    return case p_action when 'publish' then 'published' else 'rolled back' end
        || ': ' || coalesce(array_length(swapped, 1), 0) || ' tables; '
        || case
            when kept is null then 'no previous version is kept (a first publish)'
            else 'the replaced version is kept in ' || kept
        end
        || coalesce('; these views elsewhere still read the replaced version, now in the '
            || '*_previous schemas: ' || array_to_string(followers, ', '), '');
end;
$function$;

comment on function audit.swap_published_schemas(text, text, text, text, jsonb, double precision) is
    'Publish (candidate schemas become marts/pii, the replaced version is kept as *_previous) or '
    'roll back (marts/pii and *_previous change places), in one transaction, recorded in '
    'audit.publish_events. Returns what it did, or ''refused: <why>''.';
{%- endmacro %}
