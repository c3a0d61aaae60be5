{#
    clean_name(expr): a person's name (member_name, real_name; not nicknames).

    clean_text, then every run of inner spaces (ASCII space, tab, U+00A0, U+3000) becomes one
    ASCII space, then a space between two CJK ideographs is dropped: 张 伟 -> 张伟,
    欧阳 娜 娜 -> 欧阳娜娜, Zhang  Wei -> Zhang Wei, 张 Wei stays 张 Wei.
    CJK ideographs: the unified block U+4E00-U+9FFF, extension A U+3400-U+4DBF, the
    compatibility block U+F900-U+FAFF and extensions B-H U+20000-U+323AF (rare characters
    in real names, such as 𠮷).

    One plain expression: the branch that collapses spaces runs only for a name holding an
    inner space (tested on the trimmed raw value: folding creates no space, and no missing
    literal holds one), the other is clean_text itself.
#}
{% macro clean_name(expr) -%}
    {{ return(adapter.dispatch('clean_name', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__clean_name(expr) -%}
    {%- set ideograph = "[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\U00020000-\\U000323af]" -%}
    {%- set cleaned = clean_text(expr) -%}
    case
        when btrim(cast({{ expr }} as text), {{ parsing_trim_characters() }}) ~ E'[ \t\u00a0\u3000]'
            then regexp_replace(
                regexp_replace({{ cleaned }}, E'[ \t\u00a0\u3000]+', ' ', 'g'),
                E'(?<={{ ideograph }}) (?={{ ideograph }})', '', 'g'
            )
        else {{ cleaned }}
    end
{%- endmacro %}
