-- The live FTS records, typed, one row per record_id: type and status in their documented casing, and a flag for
-- each measure outside its range (kept as sent here; the fact model leaves flagged values out of its measures).

with base as (

    select * from {{ source('fts', 'fts_records') }}

),

live as (

    -- rows Fivetran soft-deleted (_fivetran_deleted true) are left out; see macros/fts_is_deleted.sql
    select * from base
    where not {{ fts_is_deleted('fts', 'fts_records') }}

),

typed as (

    select
        cast(record_id as varchar) as record_id,
        cast(log_date as date) as log_date,
        cast(technician_id as varchar) as technician_id,
        cast(equipment_id as varchar) as equipment_id,
        cast(customer_id as varchar) as customer_id,
        cast(erp_order_id as varchar) as erp_order_id,
        cast(maintenance_type as varchar) as maintenance_type_sent,
        cast(maintenance_status as varchar) as maintenance_status_sent,
        cast(log_description as varchar) as log_description,
        cast(summarized_log as varchar) as summarized_log,
        cast(failure_rate as double) as failure_rate,
        cast(maintenance_cost as double) as maintenance_cost,
        cast(downtime_hours as bigint) as downtime_hours,
        cast(summarization_time_saved as bigint) as summarization_time_saved,
        cast(_fivetran_synced as timestamp with time zone) as synced_at
    from live

)

select
    record_id,
    log_date,
    technician_id,
    equipment_id,
    customer_id,
    erp_order_id,
    {{ fts_label('maintenance_type_sent', fts_maintenance_types()) }} as maintenance_type,
    {{ fts_label('maintenance_status_sent', fts_maintenance_statuses()) }} as maintenance_status,
    log_description,
    summarized_log,
    failure_rate,
    maintenance_cost,
    downtime_hours,
    summarization_time_saved,
    synced_at,
    coalesce(failure_rate < 0 or failure_rate > 1, false) as is_failure_rate_out_of_range,
    coalesce(maintenance_cost < 0, false) as is_maintenance_cost_negative,
    coalesce(downtime_hours < 0, false) as is_downtime_negative,
    coalesce(summarization_time_saved < 0, false) as is_time_saved_negative
from typed
