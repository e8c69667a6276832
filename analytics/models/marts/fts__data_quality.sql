{{ config(enabled=var('fts_using_quarantine', true)) }}

-- Rejected records by day, rule and field, from the connector's quarantine table (fts_records_rejected).

with reasons as (

    select * from {{ ref('stg_fts__rejection_reasons') }}

)

select
    cast(rejected_on as date) as rejected_on,
    cast(rule as varchar) as rule,
    cast(field as varchar) as field,
    cast(count(distinct rejection_key) as bigint) as rejected_records,
    cast(count(distinct case when is_open then rejection_key end) as bigint) as open_records,
    cast(count(distinct record_id) as bigint) as rejected_record_ids
from reasons
group by rejected_on, rule, field
