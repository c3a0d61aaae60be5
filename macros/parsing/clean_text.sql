{#
    clean_text(expr): the cleaning every legacy text value gets (migration-rules.md section 2).

    1. Trim at both ends exactly the characters the rule lists: ASCII space, tab, U+00A0
       (no-break space) and U+3000 (ideographic space). A line break is not among them: a
       quoted field ending in one keeps it (a mobile or date ending in a line break is
       invalid, a nickname keeps it), as the rule's list says.
    2. Empty, or exactly one of the missing literals NULL, null, \N, N/A, becomes null
       (compared after trimming and before folding, so a full-width ＮＵＬＬ is kept as text).
    3. Fold full-width digits ０-９, full-width Latin letters Ａ-Ｚ ａ-ｚ and ＋ to ASCII.
    Inner text is otherwise untouched.

    Rendered as one plain expression (no subquery: a correlated scalar subquery costs about a
    microsecond per row, more than btrim and nullif together). The input expression appears
    several times, in the tests for a full-width character and in the one branch of the case
    that runs, so pass a column (or another cheap expression). translate, which costs
    microseconds on a long multibyte list, only runs on the rare value holding a character of
    the full-width block U+FF0B-U+FF5A; trimming removes no such character, so testing the raw
    value is the same as testing the trimmed one. Even that test is a regular expression
    (about 0.2 µs a value, a few seconds over a million persons' columns), so it only runs on
    a value holding some character beyond ASCII (more bytes than characters: a full-width
    character is three bytes in UTF-8, the only encoding the loader accepts); digits, codes,
    dates and amounts never reach it.
#}
{% macro clean_text(expr) -%}
    {{ return(adapter.dispatch('clean_text', 'member_migration')(expr)) }}
{%- endmacro %}

{% macro postgres__clean_text(expr) -%}
    case
        when octet_length(cast({{ expr }} as text)) > length(cast({{ expr }} as text))
            and cast({{ expr }} as text) ~ '[＋-ｚ]'
            then translate(
                {{ clean_text_unfolded(expr) }},
                '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋',
                '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+'
            )
        else {{ clean_text_unfolded(expr) }}
    end
{%- endmacro %}

{#
    clean_text_unfolded(expr): steps 1 and 2 of clean_text (trimmed, missing literals to null),
    without the folding of step 3.
#}
{% macro clean_text_unfolded(expr) -%}
    nullif(nullif(nullif(nullif(nullif(
        btrim(cast({{ expr }} as text), {{ parsing_trim_characters() }}),
        ''), 'NULL'), 'null'), E'\\N'), 'N/A')
{%- endmacro %}

{#
    The characters clean_text trims, as a PostgreSQL string literal: space, tab, U+00A0 and
    U+3000 (migration-rules.md section 2's list, no more).
#}
{% macro parsing_trim_characters() -%}
    E' \t\u00a0\u3000'
{%- endmacro %}

{#
    cleaned_value(expr, cleaned=false): the value a parsing macro works on. With cleaned=true the
    caller vouches that `expr` is already the output of clean_text (typically a staging column),
    and it is used as it is; otherwise clean_text(expr).

    Why this is exact: clean_text of a cleaned value can only differ from it by turning the
    text NULL, null or N/A (a full-width ＮＵＬＬ folded) into null, and no parsing macro gives
    anything but null for those texts either way. clean_code is not such a macro (NULL is a
    code it upper-cases), so it always cleans.
#}
{% macro cleaned_value(expr, cleaned=false) -%}
    {%- if cleaned -%}
        {{ expr }}
    {%- else -%}
        {{ clean_text(expr) }}
    {%- endif -%}
{%- endmacro %}

{#
    parse_on_cleaned(expr, cleaned, body): renders `body` (an expression over the placeholder
    `{v}`) for the cleaned value of `expr`. With cleaned=true, `{v}` is `expr` itself (a
    column: free to read many times). Otherwise the cleaned value is computed once in a one-row
    scalar subquery (limit all offset 0 keeps PostgreSQL from inlining it back into every
    reference) and `{v}` reads it from there.
#}
{% macro parse_on_cleaned(expr, cleaned, body, alias) -%}
    {%- if cleaned -%}
        {{ body | replace('{v}', '(' ~ expr ~ ')') }}
    {%- else -%}
        (
            select {{ body | replace('{v}', alias ~ '.value') }}
            from (
                select {{ clean_text(expr) }} as value
                limit all offset 0
            ) as {{ alias }}
        )
    {%- endif -%}
{%- endmacro %}
