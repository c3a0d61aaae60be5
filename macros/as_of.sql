{#
    The migration's cut-off. var('as_of_date') names the day (YYYY-MM-DD; null = today in
    Beijing time); the as-of instant is the midnight (Beijing) that ends that day.
#}
{% macro as_of_date_value() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured is none or configured | string | trim == '' -%}
        {%- set tz = modules.pytz.timezone(var('legacy_timezone')) -%}
        {{- return(modules.datetime.datetime.now(tz).date().isoformat()) -}}
    {%- else -%}
        {%- set parsed = modules.datetime.datetime.strptime(configured | string | trim, '%Y-%m-%d') -%}
        {{- return(parsed.date().isoformat()) -}}
    {%- endif -%}
{%- endmacro %}

{% macro as_of_date() -%}
    date '{{ as_of_date_value() }}'
{%- endmacro %}

{% macro as_of_instant() -%}
    ((date '{{ as_of_date_value() }}' + 1)::timestamp at time zone '{{ var("legacy_timezone") }}')
{%- endmacro %}
