{#-
    fts_last_full_refresh_at(): when the connector last completed a full refresh, as a timestamp with time zone, or
    null where it cannot be read.

    The time lives in the connector's state (`full_refresh.last_completed_at`), not in the warehouse. Locally,
    `fivetran debug` writes the state to files/state.json: with the environment variable FTS_STATE_FILE naming that
    file, DuckDB reads it. Elsewhere (Snowflake: the state is kept by Fivetran) it is null, and the app says so.
-#}
{% macro fts_last_full_refresh_at() -%}
    {%- set state_file = env_var('FTS_STATE_FILE', '') -%}
    {%- if target.type == 'duckdb' and state_file -%}
        (
            select cast(json_extract_string(content, '$.full_refresh.last_completed_at') as timestamp with time zone)
            from read_text('{{ state_file }}')
        )
    {%- else -%}
        cast(null as timestamp with time zone)
    {%- endif -%}
{%- endmacro %}
