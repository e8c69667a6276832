-- Rejected records by day, rule and field, from the connector's quarantine table (fts_records_rejected).

with reasons as (

    select * from {{ ref('stg_fts__rejection_reasons') }}

)

select
    rejected_on,
    rule,
    field,
    count(distinct rejection_key) as rejected_records,
    count(distinct case when is_open = 1 then rejection_key end) as open_records,
    count(distinct record_id) as rejected_record_ids
from reasons
group by rejected_on, rule, field
