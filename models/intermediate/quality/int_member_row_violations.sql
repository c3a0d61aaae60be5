{#-
    One row per rule broken by the winning version of a member record (migration-rules.md
    section 3), reject and warn alike, with the severity the seed quality_rules gives the
    rule. Each check: (rule code, column naming the legacy column, cleaned value, flag); the
    issue row keeps the value as loaded (from the row rebuilt from raw, macro with_raw_record),
    except for KEY_MISSING (no value) and DUPLICATE_SOURCE_ROW (the number of collapsed copies).
-#}
{%- set checks = [
    ('KEY_MISSING', 'key_column', 'cast(null as text)', 'is_key_missing'),
    ('POINTS_INVALID', 'points_column', 'points_text', 'is_points_invalid'),
    ('AMOUNT_INVALID', "'stored_value'", 'stored_value_text', 'is_stored_value_invalid'),
    ('STATUS_INVALID', "'status'", 'status_text', 'is_status_invalid'),
    ('MOBILE_INVALID', 'mobile_column', 'mobile_text', 'is_mobile_invalid'),
    ('ID_CARD_INVALID', "'id_card_no'", 'id_card_no_text', 'is_id_card_invalid'),
    ('EMAIL_INVALID', "'email'", 'email_text', 'is_email_invalid'),
    ('DATE_INVALID', 'birthday_column', 'birthday_text', 'is_birthday_invalid'),
    ('DATE_INVALID', 'registration_column', 'registration_text', 'is_registration_invalid'),
    ('DATE_INVALID', 'recency_column', 'recency_text', 'is_recency_invalid'),
    ('BIRTHDAY_OUT_OF_RANGE', 'birthday_column', 'birthday_text', 'is_birthday_out_of_range'),
    ('REGISTERED_BEFORE_LAUNCH', 'registration_column', 'registration_text', 'is_registered_before_launch'),
    ('REGISTERED_IN_FUTURE', 'registration_column', 'registration_text', 'is_registered_in_future'),
    ('TIER_UNMAPPED', 'tier_column', 'tier_text', 'is_tier_unmapped'),
    ('GENDER_UNMAPPED', "'gender'", 'gender_text', 'is_gender_unmapped'),
    ('REGION_UNMAPPED', "'province'", 'province_text', 'is_province_unmapped'),
    ('REGION_UNMAPPED', "'city'", 'city_text', 'is_city_unmapped'),
    ('POINTS_NEGATIVE', 'points_column', 'points_text', 'is_points_negative'),
    ('DUPLICATE_SOURCE_ROW', 'cast(null as text)', 'cast(collapsed_copies as text)', 'is_duplicate_survivor'),
    ('EXT_ATTRS_INVALID', "'ext_attrs'", 'ext_attrs_text', 'is_ext_attrs_invalid'),
] -%}

with

member_rows as (
    select * from {{ ref('int_member_rows_checked') }}
    -- only the rows that broke a rule meet the checks below (a tenth of them)
    where {{ checks | map(attribute=3) | join(' or ') }}
),

quality_rules as (
    select * from {{ ref('quality_rules') }}
),

-- one pass over the member rows: each row meets every check (a lateral list of the checks)
-- instead of one scan of the table per check
violations as (
    select
        member_rows.source_table,
        member_rows.source_system,
        member_rows.source_key,
        member_rows._batch_id,
        member_rows._record_number,
        member_rows.source_table as member_source_table,
        member_rows.source_key as member_source_key,
        checks.rule_code,
        checks.column_name,
        checks.raw_value
    from member_rows
    cross join
        lateral (
            values
            {%- for rule_code, column_name, raw_value, flag in checks %}
                (
                    '{{ rule_code }}',
                    {{ column_name }},
                    {{ raw_value if rule_code in ('KEY_MISSING', 'DUPLICATE_SOURCE_ROW') else 'cast(null as text)' }},
                    {{ flag }}
                ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as checks (rule_code, column_name, raw_value, is_broken)
    where checks.is_broken
),

-- the row as loaded, rebuilt from raw for the rows that broke a rule only
violations_as_loaded as (
    {{ with_raw_record('violations', ['pos_member_card', 'mall_user', 'wechat_member']) }}
),

final as (
    select
        {{ violation_columns_as_loaded('violations_as_loaded', ['KEY_MISSING', 'DUPLICATE_SOURCE_ROW']) }},
        quality_rules.severity
    from violations_as_loaded
    left join quality_rules
        on violations_as_loaded.rule_code = quality_rules.rule_code
)

select * from final
