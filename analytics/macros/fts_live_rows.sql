{#-
    fts_is_deleted(relation): a SQL boolean that is true for a row Fivetran has soft-deleted.

    Fivetran marks deletes in `_fivetran_deleted`; a table to which nothing was ever deleted may not have the column
    yet (locally, `fivetran debug` adds it to fts_records_rejected only with its first delete), and rows written
    before it existed hold null. So: `coalesce(_fivetran_deleted, false)` when the table has the column, else
    `false`. Without a connection to look (parsing, or `var('fts_introspect')` false as in the offline Snowflake
    compile), the column is assumed present, as Fivetran's destinations create it.
-#}
{% macro fts_is_deleted(relation) -%}
    {%- set has_column = true -%}
    {%- if execute and var('fts_introspect', true) -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- set has_column = columns | length == 0 or '_fivetran_deleted' in columns -%}
    {%- endif -%}
    {%- if has_column -%} coalesce(_fivetran_deleted, false) {%- else -%} false {%- endif -%}
{%- endmacro %}
