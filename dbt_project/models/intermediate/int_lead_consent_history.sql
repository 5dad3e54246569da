-- Consent history as validity intervals: each consent row is in force from
-- valid_from (its changed_at) until valid_to (the next change's changed_at,
-- null while it is the latest). The consent "as of" T is the row with
-- valid_from < T <= valid_to, i.e. the latest change strictly before T.

with consent_changes as (
    select lead_id, ml_processing_allowed, changed_at
    from {{ ref('stg_consents') }}
)

select
    lead_id,
    ml_processing_allowed,
    changed_at as valid_from,
    lead(changed_at) over (partition by lead_id order by changed_at) as valid_to,
    row_number() over (partition by lead_id order by changed_at) as change_number
from consent_changes
