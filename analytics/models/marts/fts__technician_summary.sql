-- Per technician: the original description's fts_technicians (tasks, cost, downtime, time saved), over live records.

with records as (

    select * from {{ ref('stg_fts__records') }}

)

select
    technician_id,
    count(*) as total_tasks,
    sum(is_completed) as completed_tasks,
    sum(maintenance_cost) as total_maintenance_cost,
    sum(downtime_hours) as total_downtime_hours,
    sum(summarization_time_saved) as total_time_saved,
    avg(maintenance_cost) as avg_maintenance_cost,
    min(log_date) as first_log_date,
    max(log_date) as last_log_date
from records
group by technician_id
