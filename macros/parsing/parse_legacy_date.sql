{#
    parse_legacy_date(expr, cleaned=false): a legacy date or date-time as the calendar date in
    Beijing time (var('legacy_timezone')), or null.

    Accepts exactly the forms of parse_legacy_timestamp: a value without an offset keeps its
    own calendar date, a value with an offset or Unix epoch seconds is converted to Beijing
    time first (2019-03-01T20:00:00-05:00 is 2019-03-02 in Beijing).
    cleaned=true: `expr` is already clean_text's output (see cleaned_value).
#}
{% macro parse_legacy_date(expr, cleaned=false) -%}
    {{ return(adapter.dispatch('parse_legacy_date', 'member_migration')(expr, cleaned)) }}
{%- endmacro %}

{% macro postgres__parse_legacy_date(expr, cleaned=false) -%}
    cast(({{ parse_legacy_timestamp(expr, cleaned) }}) at time zone '{{ var("legacy_timezone") }}' as date)
{%- endmacro %}
