{#
    clean_text(expr): the cleaning every legacy text value gets (migration-rules.md section 2).

    1. Trim at both ends: ASCII space, tab, U+00A0 (no-break space), U+3000 (ideographic space),
       and also CR and LF (a quoted CSV field can end in a line break; it is never meaningful).
    2. Empty, or exactly one of the missing literals NULL, null, \N, N/A, becomes null
       (compared after trimming and before folding, so a full-width ＮＵＬＬ is kept as text).
    3. Fold full-width digits ０-９, full-width Latin letters Ａ-Ｚ ａ-ｚ and ＋ to ASCII.
    Inner text is otherwise untouched.

    Rendered as a one-row scalar subquery so the trimmed value is computed once per row
    (limit all offset 0 is an optimisation fence: it keeps PostgreSQL from inlining the value
    back into copies), and translate, which costs microseconds on a long multibyte list, only
    runs on the rare value holding a character of the full-width block U+FF0B-U+FF5A.
#}
{% macro clean_text(expr) -%}
    {{ return(adapter.dispatch('clean_text', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__clean_text(expr) -%}
    (
        select
            case
                when text_trimmed.value ~ '[＋-ｚ]'
                    then translate(
                        text_trimmed.value,
                        '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋',
                        '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+'
                    )
                else text_trimmed.value
            end
        from (
            select
                nullif(nullif(nullif(nullif(nullif(
                    btrim(cast({{ expr }} as text), {{ parsing_trim_characters() }}),
                    ''), 'NULL'), 'null'), E'\\N'), 'N/A') as value
            limit all offset 0
        ) as text_trimmed
    )
{%- endmacro %}

{#
    The characters clean_text trims, as a PostgreSQL string literal: space, tab, CR, LF,
    U+00A0 and U+3000.
#}
{% macro parsing_trim_characters() -%}
    E' \t\r\n\u00a0\u3000'
{%- endmacro %}
