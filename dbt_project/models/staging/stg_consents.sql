-- Consent changes, one row per (lead_id, changed_at). If the same change is
-- delivered twice (possibly with a corrected flag), the latest landing day wins.

with latest as (
    {{ latest_delivery('consents', ['lead_id', 'changed_at']) }}
)

select
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(ml_processing_allowed as {{ dbt.type_boolean() }}) as ml_processing_allowed,
    cast(changed_at as {{ dbt.type_timestamp() }}) as changed_at,
    _landed_date,
    _loaded_at
from latest
