{#-
    JSON helpers for the quarantine's `reasons` column, dispatched per adapter (no dbt_utils: the package hub is not
    reachable). The connector writes JSON columns as DuckDB JSON locally and Snowflake VARIANT in production.

    fts_json_array_join(json_column, alias): the FROM-clause join that yields one row per element of the JSON array
        in `json_column`; the element is `<alias>.value`.
    fts_json_text(element, key): the string value of `key` in a JSON object (null when absent or JSON null).
    fts_json_as_text(element, key): the value of `key` serialised as JSON text (strings keep their quotes).
-#}

{% macro fts_json_array_join(json_column, alias) -%}
    {{ return(adapter.dispatch('fts_json_array_join', 'fts_analytics')(json_column, alias)) }}
{%- endmacro %}

{% macro default__fts_json_array_join(json_column, alias) -%}
    {{ exceptions.raise_compiler_error("fts_json_array_join: no implementation for the adapter " ~ target.type) }}
{%- endmacro %}

{% macro duckdb__fts_json_array_join(json_column, alias) -%}
    , unnest(cast({{ json_column }} as json[])) as {{ alias }}(value)
{%- endmacro %}

{% macro snowflake__fts_json_array_join(json_column, alias) -%}
    {#- to_varchar then parse_json: the same whether the column is a VARIANT array or JSON text -#}
    , lateral flatten(input => parse_json(to_varchar({{ json_column }}))) as {{ alias }}
{%- endmacro %}


{% macro fts_json_text(element, key) -%}
    {{ return(adapter.dispatch('fts_json_text', 'fts_analytics')(element, key)) }}
{%- endmacro %}

{% macro default__fts_json_text(element, key) -%}
    {{ exceptions.raise_compiler_error("fts_json_text: no implementation for the adapter " ~ target.type) }}
{%- endmacro %}

{% macro duckdb__fts_json_text(element, key) -%}
    json_extract_string({{ element }}, '$.{{ key }}')
{%- endmacro %}

{% macro snowflake__fts_json_text(element, key) -%}
    as_varchar(get({{ element }}, '{{ key }}'))
{%- endmacro %}


{% macro fts_json_as_text(element, key) -%}
    {{ return(adapter.dispatch('fts_json_as_text', 'fts_analytics')(element, key)) }}
{%- endmacro %}

{% macro default__fts_json_as_text(element, key) -%}
    {{ exceptions.raise_compiler_error("fts_json_as_text: no implementation for the adapter " ~ target.type) }}
{%- endmacro %}

{% macro duckdb__fts_json_as_text(element, key) -%}
    cast(json_extract({{ element }}, '$.{{ key }}') as varchar)
{%- endmacro %}

{% macro snowflake__fts_json_as_text(element, key) -%}
    to_json(get({{ element }}, '{{ key }}'))
{%- endmacro %}
