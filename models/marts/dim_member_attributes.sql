with

matched_records as (
    select * from {{ ref('int_member_records_matched') }}
),

attribute_mapping as (
    select * from {{ ref('attribute_mapping') }}
),

legacy_attributes as (
    -- jsonb_each_text: a JSON string comes out unquoted, any other value as its JSON text,
    -- a JSON null as null
    select
        matched_records.member_id,
        matched_records.source_system,
        matched_records.source_key,
        matched_records.survivorship_rank,
        attribute_values.key as legacy_key,
        attribute_values.value
    from matched_records
    cross join lateral jsonb_each_text(matched_records.ext_attrs) as attribute_values
    where jsonb_typeof(matched_records.ext_attrs) = 'object'
),

renamed as (
    select
        legacy_attributes.*,
        coalesce(attribute_mapping.attribute, legacy_attributes.legacy_key) as attribute
    from legacy_attributes
    left join attribute_mapping
        on legacy_attributes.legacy_key = attribute_mapping.legacy_key
),

ranked as (
    -- one value per member, attribute and source: the first record in survivorship order
    -- (within one record, two legacy keys renamed to the same attribute: the first key in
    -- code-point order)
    select
        *,
        row_number() over (
            partition by member_id, attribute, source_system
            order by survivorship_rank, legacy_key collate "C"
        ) as attribute_rank
    from renamed
),

member_names as (
    -- one row per member with its names: a set the check below scans per attribute (a
    -- correlated lookup in matched_records would be quadratic at a million members)
    select
        member_id,
        array_agg(distinct member_name) as member_names
    from matched_records
    where char_length(member_name) >= 2
    group by member_id
),

checked as (
    select
        ranked.*,
        coalesce(
            {{ holds_personal_identifier('ranked.value') }}
            or (
                select bool_or(strpos(ranked.value, name_values.member_name) > 0)
                from unnest(member_names.member_names) as name_values (member_name)
            ),
            false
        ) as is_value_withheld
    from ranked
    left join member_names
        on ranked.member_id = member_names.member_id
    where ranked.attribute_rank = 1
),

final as (
    select
        -- ids
        member_id::text as member_id,
        -- strings
        attribute::text as attribute,
        (case when not is_value_withheld then value end)::text as value,
        source_system::text as source_system,
        legacy_key::text as legacy_key,
        source_key::text as source_key,
        -- booleans
        is_value_withheld::boolean as is_value_withheld
    from checked
)

select * from final
