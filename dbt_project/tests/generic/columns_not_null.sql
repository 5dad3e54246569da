{#
    Fails for every row where any of `columns` is null: one query for all the
    always-filled features of a model, instead of one query each.
#}
{% test columns_not_null(model, columns) %}

select *
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}

{% endtest %}
