{#
    Who may use each published schema (mart-contract.md "Roles"): the publish and the rollback
    grant USAGE on marts and pii to exactly these roles and revoke it on the kept previous
    versions. Table SELECT comes from dbt's grants config and travels with the schema rename.
    One place to change (or to point at the project's schema privilege policy).
#}
{% macro published_schema_readers() -%}
    {{ return({'marts': ['bi_reader', 'crm_loader'], 'pii': ['crm_loader']}) }}
{%- endmacro %}
