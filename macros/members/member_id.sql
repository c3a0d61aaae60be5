{#
    member_id_from_anchor(anchor_record_id): the stable member id, 'M' followed by 18 digits,
    derived from an md5 of the member's anchor record id (`source_system:source_key` of the
    record with the smallest (source_order, source_key collate "C")). It depends only on the
    anchor, so it depends only on the member's set of records: a rebuild or a delta that does
    not change that set keeps the id, and a merge keeps the anchor's id.
    The first 15 hex digits of the md5 (60 bits) are taken modulo 10^18.
#}
{% macro member_id_from_anchor(anchor_record_id) -%}
    {{- return(adapter.dispatch('member_id_from_anchor', 'member_migration')(anchor_record_id)) -}}
{%- endmacro %}

{% macro postgres__member_id_from_anchor(anchor_record_id) -%}
    (
        'M' || lpad(
            (
                ('x' || substr(md5({{ anchor_record_id }}), 1, 15))::bit(60)::bigint
                % 1000000000000000000
            )::text,
            18,
            '0'
        )
    )
{%- endmacro %}
