-- One row per live task record: the fact model every LogLynx figure is built from. Type and status in their
-- documented casing; a measure outside its range (failure rate outside 0–1, a negative cost, downtime or time saved)
-- is flagged and left out (null), so it never reaches a sum or an average; an undated record is kept, with no month.

with records as (

    select * from {{ ref('stg_fts__records') }}

)

select
    cast(record_id as varchar) as record_id,
    cast(log_date as date) as log_date,
    cast({{ dbt.date_trunc('month', 'log_date') }} as date) as log_month,
    log_date is null as is_undated,
    cast(technician_id as varchar) as technician_id,
    cast(equipment_id as varchar) as equipment_id,
    cast(customer_id as varchar) as customer_id,
    cast(erp_order_id as varchar) as erp_order_id,
    cast(maintenance_type as varchar) as maintenance_type,
    cast(maintenance_status as varchar) as maintenance_status,
    coalesce(maintenance_status = 'Completed', false) as is_completed,
    cast(case when not is_failure_rate_out_of_range then failure_rate end as double) as failure_rate,
    cast(case when not is_maintenance_cost_negative then maintenance_cost end as double) as maintenance_cost,
    cast(case when not is_downtime_negative then downtime_hours end as bigint) as downtime_hours,
    cast(case when not is_time_saved_negative then summarization_time_saved end as bigint) as summarization_time_saved,
    is_failure_rate_out_of_range,
    is_maintenance_cost_negative,
    is_downtime_negative,
    is_time_saved_negative,
    (is_failure_rate_out_of_range or is_maintenance_cost_negative or is_downtime_negative
        or is_time_saved_negative) as has_out_of_range_value,
    cast(summarized_log as varchar) as summarized_log,
    cast(synced_at as timestamp with time zone) as synced_at
from records
