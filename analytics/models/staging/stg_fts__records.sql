-- The live FTS records, typed, one row per record_id, with the derived cost per downtime hour.

with base as (

    select * from {{ source('fts', 'fts_records') }}

),

live as (

    -- rows Fivetran soft-deleted (_fivetran_deleted true) are left out; see macros/fts_live_rows.sql
    select * from base
    where not {{ fts_is_deleted('fts', 'fts_records') }}

),

typed as (

    select
        cast(record_id as {{ dbt.type_string() }}) as record_id,
        cast(log_date as date) as log_date,
        cast(technician_id as {{ dbt.type_string() }}) as technician_id,
        cast(equipment_id as {{ dbt.type_string() }}) as equipment_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(erp_order_id as {{ dbt.type_string() }}) as erp_order_id,
        cast(maintenance_type as {{ dbt.type_string() }}) as maintenance_type,
        cast(maintenance_status as {{ dbt.type_string() }}) as maintenance_status,
        cast(log_description as {{ dbt.type_string() }}) as log_description,
        cast(summarized_log as {{ dbt.type_string() }}) as summarized_log,
        cast(failure_rate as double) as failure_rate,
        cast(maintenance_cost as double) as maintenance_cost,
        cast(downtime_hours as {{ dbt.type_int() }}) as downtime_hours,
        cast(summarization_time_saved as {{ dbt.type_int() }}) as summarization_time_saved,
        _fivetran_synced
    from live

)

select
    *,
    -- null, not 0, when there was no downtime: the cost per hour of downtime is undefined there
    maintenance_cost / nullif(downtime_hours, 0) as cost_per_downtime_hour,
    case when maintenance_status = 'Completed' then 1 else 0 end as is_completed
from typed
