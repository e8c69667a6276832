{#-
    fts_is_deleted(source_name, table_name): a SQL boolean that is true for a row Fivetran has soft-deleted.

    Fivetran marks deletes in `_fivetran_deleted`; a table may not have the column yet (locally, `fivetran debug`
    creates fts_records_rejected without it until rows are written), and rows written before it existed hold null.
    So: `coalesce(_fivetran_deleted, false)` when the source table has the column, else `false`.

    The columns are looked up on the source table itself, not on `source()`, which a unit test replaces by its
    fixture (the fixture takes the table's columns, so both agree): from the graph, or, where a unit test has no
    graph of sources, from the same vars the source definition uses (models/staging/src_fts.yml). When they cannot be looked up (parsing;
    `var('fts_introspect')` false, as in the offline Snowflake compile; the table not found) the column is assumed
    present, as Fivetran's destinations create it.
-#}
{% macro fts_is_deleted(source_name, table_name) -%}
    {%- set has_column = true -%}
    {%- if execute and var('fts_introspect', true) -%}
        {%- set node = (graph.get('sources') or {}).values() | selectattr('source_name', 'equalto', source_name)
                                                           | selectattr('name', 'equalto', table_name) | first -%}
        {%- if node is defined and node -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema,
                                                    identifier=node.identifier) -%}
        {%- else -%}
            {%- set relation = adapter.get_relation(
                    database=var('fts_database', 'warehouse' if target.type == 'duckdb' else target.database),
                    schema=var('fts_schema', 'tester'), identifier=table_name) -%}
        {%- endif -%}
        {%- if relation is not none -%}
            {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
            {%- set has_column = '_fivetran_deleted' in columns -%}
        {%- endif -%}
    {%- endif -%}
    {%- if has_column -%} coalesce(_fivetran_deleted, false) {%- else -%} false {%- endif -%}
{%- endmacro %}
