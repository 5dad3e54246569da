{#
    eligible_lead_dates(spine_relation)

    Keeps the (lead_id, as_of_date) rows of `spine_relation` that may be scored
    (and therefore trained on) at as_of_date 00:00:
      * the lead has not converted before as_of_date (a converted lead is no
        longer a lead; keeping it would teach the model "already converted"),
      * the lead's latest consent row with changed_at < as_of_date allows ML
        processing. No consent row yet = not allowed (fail closed).

    Used by both lead_snapshots (training) and lead_features_current (serving),
    so the two populations are defined by the same SQL.

    Unlike the features, these two rules read conversions and consents as known
    now, by their event time, whatever day they landed on. Neither is an input
    of the model: a conversion that lands late still ends the lead's open life
    when it happened (a snapshot after it would be an already-converted lead
    labelled "did not convert"), and a withdrawal learned today forbids
    processing of every row, past snapshots included. Reading them as known at
    as_of_date would put such rows back.
    Returns: lead_id, as_of_date.
#}
{% macro eligible_lead_dates(spine_relation) %}
    {%- set as_of_ts = day_start('candidate.as_of_date') -%}
    select
        candidate.lead_id,
        candidate.as_of_date
    from {{ spine_relation }} as candidate
    left join {{ ref('int_lead_first_conversion') }} as first_conversion
        on first_conversion.lead_id = candidate.lead_id
    -- consent history is stored as validity intervals [valid_from, valid_to]; the row
    -- in force at as_of is the one with valid_from < as_of <= valid_to (valid_to is the
    -- next change, which only counts once it is strictly before as_of)
    left join {{ ref('int_lead_consent_history') }} as consent_in_force
        on consent_in_force.lead_id = candidate.lead_id
        and consent_in_force.valid_from < {{ as_of_ts }}
        and (consent_in_force.valid_to is null or consent_in_force.valid_to >= {{ as_of_ts }})
    where
        (first_conversion.first_converted_at is null
            or first_conversion.first_converted_at >= {{ as_of_ts }})
        and consent_in_force.ml_processing_allowed = true
{% endmacro %}


{#
    withdrawn_leads()

    The leads whose latest consent change, as known now, forbids ML processing.
    Nothing of theirs is trained on, not even the snapshots from before the
    withdrawal, and whatever the scoring date: reproducing an old training set
    does not bring back a person who has since withdrawn.
    Returns: lead_id.
#}
{% macro withdrawn_leads() %}
    select lead_id
    from {{ ref('int_lead_consent_history') }}
    where valid_to is null
        and not ml_processing_allowed
{% endmacro %}
