-- Training table: one row per (lead_id, as_of_date) snapshot of an open,
-- consenting, not-yet-converted lead, with its features as of as_of_date 00:00
-- and the label "converts within the next label_window_days days".
-- Features come from int_lead_snapshot_features, built by the lead_features()
-- macro, the same SQL that builds lead_features_current for serving.

{%- set label_window_days = int_var('label_window_days') %}

{%- set features = ref('int_lead_snapshot_features') %}
{#- every column of the snapshot features but their load bookkeeping -#}
{%- set feature_columns = adapter.get_columns_in_relation(features) | map(attribute='name') | reject('equalto', '_loaded_at') | list if execute else [] %}
{%- if execute and not feature_columns %}
    {{ exceptions.raise_compiler_error("lead_snapshots: " ~ features ~ " has no columns; build it first") }}
{%- endif %}

with scoring_date as (
    select scoring_date from {{ ref('int_scoring_date') }}
),

-- Eligibility and labels read conversions and consents as known now, so they are
-- worked out here on every build, over features that are built incrementally.
consenting_snapshots as (
    {{ eligible_lead_dates(features) }}
),

snapshot_features as (
    select {% for column in feature_columns %}features.{{ adapter.quote(column) }}{{ ", " if not loop.last }}{% endfor %}
    from {{ features }} as features
    inner join consenting_snapshots
        on consenting_snapshots.lead_id = features.lead_id
        and consenting_snapshots.as_of_date = features.as_of_date
),

label_windows as (
    select
        consenting_snapshots.lead_id,
        consenting_snapshots.as_of_date,
        {{ add_days('consenting_snapshots.as_of_date', label_window_days) }} as label_window_end
    from consenting_snapshots
),

labels as (
    select
        label_windows.lead_id,
        label_windows.as_of_date,
        label_windows.label_window_end,
        case
            when first_conversion.first_converted_at >= {{ day_start('label_windows.as_of_date') }}
                and first_conversion.first_converted_at < {{ day_start('label_windows.label_window_end') }}
                -- what happens after the scoring date is not known yet: with an as_of_date var in
                -- the past, later conversions must not leak into (immature) labels. The label is the
                -- outcome, not a feature, so a conversion counts however late it landed: the
                -- features are as known at as_of_date, the label as known now.
                and first_conversion.first_converted_at < {{ day_start('scoring_date.scoring_date') }}
                then 1
            else 0
        end as converted_within_30d,
        -- the whole label window has been observed
        (label_windows.label_window_end <= scoring_date.scoring_date) as label_is_mature
    from label_windows
    cross join scoring_date
    left join {{ ref('int_lead_first_conversion') }} as first_conversion
        on first_conversion.lead_id = label_windows.lead_id
)

select
    snapshot_features.*,
    leads.created_date as lead_created_date,
    cast(labels.converted_within_30d as {{ dbt.type_int() }}) as converted_within_30d,
    labels.label_is_mature,
    labels.label_window_end
from snapshot_features
inner join labels
    on labels.lead_id = snapshot_features.lead_id
    and labels.as_of_date = snapshot_features.as_of_date
inner join {{ ref('stg_leads') }} as leads
    on leads.lead_id = snapshot_features.lead_id
