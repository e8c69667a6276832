{{ config(enabled=var('fts_using_quarantine', true)) }}

-- One row per reason per rejected record: the quarantine's `reasons` JSON array, unnested.

with rejected as (

    select * from {{ source('fts', 'fts_records_rejected') }}

)

select
    rejected.rejection_key,
    rejected.record_id,
    rejected.rejected_at,
    cast(rejected.rejected_at as date) as rejected_on,
    -- still in quarantine: not yet soft-deleted by a later sync that loaded the record valid
    not {{ fts_is_deleted('fts', 'fts_records_rejected') }} as is_open,
    {{ fts_json_text('reason.value', 'field') }} as field,
    {{ fts_json_text('reason.value', 'rule') }} as rule,
    {{ fts_json_as_text('reason.value', 'value') }} as value_json
from rejected
{{ fts_json_array_join('rejected.reasons', 'reason') }}
