{#
    report_quality_gate(results): an on-run-end hook. dbt reports a failing test by name and a
    row count; for the quality gate (generic test null_rate_within_dictionary) a reviewer needs
    the field and the measured rate. For every failed gate test of this run, re-run its
    compiled query and log "field, null rate, threshold" as an error line.
#}
{% macro report_quality_gate(results) %}
    {%- if execute -%}
        {%- for result in results -%}
            {%- set node = result.node -%}
            {%- if node.resource_type == 'test'
                and result.status in ('fail', 'error')
                and node.test_metadata is defined and node.test_metadata is not none
                and node.test_metadata.name == 'null_rate_within_dictionary'
                and node.compiled_code -%}
                {%- set rows = run_query(node.compiled_code) -%}
                {%- for row in rows -%}
                    {%- if row['measured_column'] != node.column_name -%}
                        {{ log(
                            'Quality gate failed: ' ~ row['field_name'] ~ ' is measured on '
                            ~ row['measured_column'] ~ ' (seed field_dictionary), but the gate '
                            ~ 'test is attached to ' ~ node.column_name ~ ' ('
                            ~ node.attached_node ~ '): make them the same column', info=true
                        ) }}
                    {%- else -%}
                        {{ log(
                            'Quality gate failed: ' ~ row['field_name']
                            ~ ' (' ~ node.attached_node ~ ') null rate '
                            ~ '%.4f' | format(row['null_rate'] | float)
                            ~ ' is above its max_null_rate ' ~ row['max_null_rate']
                            ~ ' (seed field_dictionary)', info=true
                        ) }}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
