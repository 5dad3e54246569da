-- Conversions, deduplicated on (lead_id, converted_at): a re-delivery of
-- the same conversion keeps the version of its latest landing day (e.g. a corrected
-- deal_amount). The contract says at most one conversion per lead; the
-- business rule "first conversion counts" lives in int_lead_first_conversion.

with latest as (
    {{ latest_delivery('conversions', ['lead_id', 'converted_at']) }}
)

select
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(converted_at as {{ dbt.type_timestamp() }}) as converted_at,
    cast(converted_at as date) as converted_date,
    cast(deal_amount as {{ dbt.type_float() }}) as deal_amount,
    _landed_date,
    _loaded_at
from latest
