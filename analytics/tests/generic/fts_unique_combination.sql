{#- The combination of `columns` is unique in the model (nulls compare equal, as in GROUP BY). -#}
{% test fts_unique_combination(model, columns) %}

select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
