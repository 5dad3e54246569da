{#
    Fails for every row where any of `columns` is negative: one query for all the
    count and day-difference features of a model, instead of one query each.
    A negative value means an event from the future leaked in or a date was
    mis-parsed. Nulls pass (e.g. days_since_last_activity before any activity).
#}
{% test columns_not_negative(model, columns) %}

select *
from {{ model }}
where {% for column in columns %}{{ column }} < 0{% if not loop.last %} or {% endif %}{% endfor %}

{% endtest %}
