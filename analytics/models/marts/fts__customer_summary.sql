-- Per customer: the maintenance done for them, what it cost and how much downtime it meant.

with records as (

    select * from {{ ref('stg_fts__records') }}

)

select
    customer_id,
    count(*) as total_tasks,
    count(distinct equipment_id) as equipment_count,
    count(distinct technician_id) as technician_count,
    sum(is_completed) as completed_tasks,
    sum(maintenance_cost) as total_maintenance_cost,
    sum(downtime_hours) as total_downtime_hours,
    sum(summarization_time_saved) as total_time_saved,
    avg(failure_rate) as avg_failure_rate,
    min(log_date) as first_log_date,
    max(log_date) as last_log_date
from records
group by customer_id
