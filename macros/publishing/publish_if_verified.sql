{#
    publish_if_verified(results): the on-run-end step of write-audit-publish.

    Publishes (audit.swap_published_schemas('publish'), one transaction) only when all of this
    holds, and otherwise says why not, in the log ("NOT published: ...") and, for a build, in
    audit.publish_events:
    - the command is `dbt build` (`dbt run` and `dbt retry` write candidates only: they do not
      run every test);
    - it was not an --empty or --sample build;
    - it ran every model, seed, snapshot and data test of the project (unit tests may be
      excluded: they test logic on fixtures, not the data), so every marts/pii candidate was
      written and every check, the reconciliation and the quality gate among them, ran;
    - nothing errored, failed or was skipped (warnings do not stop a publish).
#}
{% macro publish_if_verified(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'run', 'retry') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set written = published_model_ids() | select('in', selected_resources) | list -%}
    {%- if not written -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not writes_candidates() -%}
        {{ log('Publishing is off (var publish: false): marts and pii were written in place, '
            ~ 'unverified.', info=true) }}
        {{ return('') }}
    {%- endif -%}

    {%- set candidates = [] -%}
    {%- for schema in published_schemas() -%}
        {%- do candidates.append(candidate_schema(schema)) -%}
    {%- endfor -%}
    {%- if flags.WHICH != 'build' -%}
        {{ log('NOT published: `dbt ' ~ flags.WHICH ~ '` writes the candidates ('
            ~ candidates | join(', ') ~ ') only; `dbt build` publishes, because it also runs '
            ~ 'the tests. marts and pii are unchanged.', info=true) }}
        {{ return('') }}
    {%- endif -%}

    {%- set reasons = [] -%}
    {%- if flags.EMPTY or flags.SAMPLE -%}
        {%- do reasons.append('an --empty or --sample build never publishes') -%}
    {%- endif -%}

    {#- every node the publish needs, against what ran -#}
    {%- set ran = {} -%}
    {%- for result in results -%}
        {%- do ran.update({result.node.unique_id: result.status | string}) -%}
    {%- endfor -%}
    {%- set required = [] -%}
    {%- set missing = {'model': [], 'snapshot': [], 'seed': [], 'test': []} -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.package_name == project_name and node.resource_type in missing -%}
            {%- do required.append(node.unique_id) -%}
            {%- if node.unique_id not in ran -%}
                {%- do missing[node.resource_type].append(node.name) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set left_out = [] -%}
    {%- set examples = [] -%}
    {%- for kind in ('model', 'snapshot', 'seed', 'test') if missing[kind] -%}
        {%- do left_out.append(missing[kind] | length ~ ' ' ~ kind ~ 's') -%}
        {%- for name in (missing[kind] | sort) if examples | length < 5 -%}
            {%- do examples.append(name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if left_out -%}
        {%- do reasons.append('the selection left out ' ~ left_out | join(', ') ~ ' of the '
            ~ required | length ~ ' nodes a publish needs (' ~ examples | join(', ')
            ~ ', ...): only a complete `dbt build` publishes') -%}
    {%- endif -%}

    {%- set failed = [] -%}
    {%- set skipped = [] -%}
    {%- for result in results -%}
        {%- set status = result.status | string -%}
        {%- if status in ('error', 'fail', 'runtime error', 'partial success') -%}
            {%- do failed.append(result.node.resource_type ~ ' ' ~ result.node.name ~ ' (' ~ status ~ ')') -%}
        {%- elif status == 'skipped' -%}
            {%- do skipped.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if failed -%}
        {%- do reasons.append('failed: ' ~ (failed | sort) | join(', ')) -%}
    {%- endif -%}
    {%- if skipped -%}
        {%- do reasons.append(skipped | length ~ ' nodes skipped ('
            ~ (skipped | sort)[:5] | join(', ') ~ (', ...' if skipped | length > 5 else '') ~ ')') -%}
    {%- endif -%}

    {%- set os_user = env_var('USER', env_var('LOGNAME', env_var('USERNAME', ''))) -%}
    {%- set command = 'dbt build' -%}
    {%- set detail = {
        'as_of_date': as_of_date_value(),
        'dbt_version': dbt_version,
        'target': target.name,
        'candidates_written': written | length,
    } -%}

    {%- if reasons -%}
        {%- set insert -%}
                insert into audit.publish_events
                    (action, command, os_user, invocation_id, reasons, detail)
                values (
                    'refused', {{ sql_literal(command) }},
                    nullif({{ sql_literal(os_user) }}, ''),
                    {{ sql_literal(invocation_id) }},
                    array[{%- for reason in reasons -%}
                        {{ sql_literal(reason) }}{{ ', ' if not loop.last }}
                    {%- endfor -%}]::text[],
                    {{ sql_literal(tojson(detail)) }}::jsonb
                )
        {%- endset -%}
        {%- do run_and_commit(insert) -%}
        {{ log('NOT published: ' ~ reasons | join('; ') ~ '. marts and pii are unchanged; '
            ~ 'the tables this build wrote stay in the candidate schemas (' ~ candidates | join(', ') ~ ')'
            ~ ' for inspection.', info=true) }}
        {{ return('') }}
    {%- endif -%}

    {%- set publish -%}
        select audit.swap_published_schemas(
            'publish',
            {{ sql_literal(command) }},
            nullif({{ sql_literal(os_user) }}, ''),
            {{ sql_literal(invocation_id) }},
            {{ sql_literal(tojson(detail)) }}::jsonb,
            {{ var('publish_lock_wait_seconds', 120) }}
        ) as outcome
    {%- endset -%}
    {%- set outcome = run_and_commit(publish).columns[0].values()[0] -%}
    {%- if outcome.startswith('refused') -%}
        {{ exceptions.raise_compiler_error('NOT published: ' ~ outcome[9:]
            ~ '. marts and pii are unchanged; the verified candidates stay in '
            ~ candidates | join(', ') ~ '.') }}
    {%- endif -%}
    {{ log('Published ' ~ published_schemas() | join(' and ') ~ ' from this build, verified: '
        ~ 'every test passed (' ~ outcome[11:] ~ ').', info=true) }}
    {{ return('') }}
{%- endmacro %}

{#- A SQL string literal (quotes doubled; standard_conforming_strings). -#}
{% macro sql_literal(value) -%}
    {{- "'" ~ (value | string | replace("'", "''")) ~ "'" -}}
{%- endmacro %}

{#- Run one statement in its own transaction, commit, and return its result table (a hook's
    run_query does not open a transaction dbt can commit). -#}
{% macro run_and_commit(sql) -%}
    {%- call statement('publish_statement', fetch_result=true, auto_begin=true) -%}
        {{ sql }}
    {%- endcall -%}
    {%- set result = load_result('publish_statement') -%}
    {%- do adapter.commit() -%}
    {{ return(result.table) }}
{%- endmacro %}
