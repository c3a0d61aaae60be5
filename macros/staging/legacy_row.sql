{#
    Row-level helpers for staging: a fingerprint of a legacy row as loaded (exact-duplicate
    detection, migration-rules.md section 4) and the row as loaded as one jsonb document
    (audit.quarantined_rows.raw_record).
#}

{#-
    legacy_row_hash(columns): md5 over the listed columns exactly as loaded (before any
    cleaning). A null and an empty string hash differently; the column order is fixed.
-#}
{% macro legacy_row_hash(columns) -%}
    {{- return(adapter.dispatch('legacy_row_hash', 'member_migration')(columns)) -}}
{%- endmacro %}

{% macro default__legacy_row_hash(columns) -%}
    md5(cast(jsonb_build_array(
        {%- for column in columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as text))
{%- endmacro %}


{#-
    legacy_raw_record(columns): a jsonb object with each listed column (as loaded, text) and
    the loader's lineage columns, keyed by column name.
-#}
{% macro legacy_raw_record(columns) -%}
    {{- return(adapter.dispatch('legacy_raw_record', 'member_migration')(columns)) -}}
{%- endmacro %}

{% macro default__legacy_raw_record(columns) -%}
    jsonb_build_object(
        {%- for column in columns + legacy_lineage_columns() %}
        '{{ column }}', {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
