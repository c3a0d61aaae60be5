-- audit.member_data_issues holds warnings only (migration-rules.md section 3): every issue's
-- rule has severity warn in seed quality_rules (a reject quarantines the row instead).
-- Returns the issues whose rule is not a warning.

with

issues as (
    select * from {{ ref('member_data_issues') }}
),

quality_rules as (
    select * from {{ ref('quality_rules') }}
),

final as (
    select
        issues.issue_id,
        issues.rule_code,
        quality_rules.severity
    from issues
    left join quality_rules
        on issues.rule_code = quality_rules.rule_code
    where quality_rules.severity is distinct from 'warn'
)

select * from final
