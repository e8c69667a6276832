-- One row: how current and how complete the data behind LogLynx is. The "as of" (when Fivetran last wrote a row,
-- and when the connector last completed a full refresh where that can be read), the live, deleted, undated and
-- out-of-range records, and the records in quarantine.

with source_rows as (

    select
        {{ fts_is_deleted('fts', 'fts_records') }} as is_deleted,
        _fivetran_synced
    from {{ source('fts', 'fts_records') }}

),

tasks as (

    select * from {{ ref('fts__tasks') }}

),

{% if var('fts_using_quarantine', true) %}
quarantine as (

    select cast(count(distinct case when is_open then rejection_key end) as bigint) as open_rejected_records
    from {{ ref('stg_fts__rejection_reasons') }}

),
{% endif %}

synced as (

    select
        cast(max(_fivetran_synced) as timestamp with time zone) as last_synced_at,
        cast(count(case when is_deleted then 1 end) as bigint) as deleted_records
    from source_rows

),

live as (

    select
        cast(count(*) as bigint) as live_records,
        cast(count(case when is_undated then 1 end) as bigint) as undated_records,
        cast(count(case when has_out_of_range_value then 1 end) as bigint) as out_of_range_records,
        cast(count(case when maintenance_cost is null then 1 end) as bigint) as records_without_cost,
        min(log_date) as first_log_date,
        max(log_date) as last_log_date
    from tasks

)

select
    synced.last_synced_at,
    {{ fts_last_full_refresh_at() }} as last_full_refresh_at,
    live.live_records,
    synced.deleted_records,
    live.undated_records,
    live.out_of_range_records,
    live.records_without_cost,
    live.first_log_date,
    live.last_log_date,
    {% if var('fts_using_quarantine', true) -%}
    quarantine.open_rejected_records,
    {%- else -%}
    cast(null as bigint) as open_rejected_records,
    {%- endif %}
    {{ 'true' if var('fts_using_quarantine', true) else 'false' }} as has_quarantine,
    cast({{ var('fts_freshness_warn_hours', 24) }} as bigint) as freshness_warn_hours,
    cast({{ var('fts_freshness_error_hours', 72) }} as bigint) as freshness_error_hours
from synced
cross join live
{% if var('fts_using_quarantine', true) %}cross join quarantine{% endif %}
