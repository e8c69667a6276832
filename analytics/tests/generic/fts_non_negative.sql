{#- No value of the column is below zero (nulls pass). -#}
{% test fts_non_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
