{#
    mask_mobile(mobile): an 11-digit mobile masked to its first three and last four digits
    (13800138000 -> 138****8000); null stays null. The only form of a mobile the marts show.
#}
{% macro mask_mobile(mobile) -%}
    {{- return(adapter.dispatch('mask_mobile', 'member_migration')(mobile)) -}}
{%- endmacro %}

{% macro default__mask_mobile(mobile) -%}
    (left({{ mobile }}, 3) || '****' || right({{ mobile }}, 4))
{%- endmacro %}
