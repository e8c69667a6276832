{#-
    fts_label(column, labels): the documented label of a text value whatever its casing or surrounding spaces
    (`predictive`, ` PREDICTIVE ` -> `Predictive`); a value outside `labels` is kept as sent, trimmed.
-#}
{% macro fts_label(column, labels) -%}
    case lower(trim({{ column }}))
        {%- for label in labels %}
        when '{{ label | lower }}' then '{{ label }}'
        {%- endfor %}
        else trim({{ column }})
    end
{%- endmacro %}

{#- The maintenance types and statuses the API sends: the documented ones, then the two undocumented types it sends. -#}
{% macro fts_maintenance_types() -%}
    {{ return(['Predictive', 'Corrective', 'Condition-Based', 'Preventive', 'Emergency']) }}
{%- endmacro %}

{% macro fts_maintenance_statuses() -%}
    {{ return(['Completed', 'Delayed', 'In Progress', 'Cancelled']) }}
{%- endmacro %}
