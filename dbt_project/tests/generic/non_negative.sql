{#
    Fails for every row where `column_name` is negative. Counts and
    day-differences in the feature marts can never be negative; a negative value
    means an event from the future leaked in or a date was mis-parsed.
    Nulls pass (e.g. days_since_last_activity for leads with no activity).
#}
{% test non_negative(model, column_name) %}

select {{ column_name }} as negative_value
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
