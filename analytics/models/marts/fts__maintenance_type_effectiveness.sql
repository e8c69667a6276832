-- Per maintenance type (Predictive vs Corrective vs Condition-Based, and any type the API adds): cost, downtime,
-- failure rate and how many tasks get completed.

with records as (

    select * from {{ ref('stg_fts__records') }}

)

select
    maintenance_type,
    count(*) as total_tasks,
    avg(maintenance_cost) as avg_maintenance_cost,
    avg(cast(downtime_hours as double)) as avg_downtime_hours,
    avg(failure_rate) as avg_failure_rate,
    sum(is_completed) as completed_tasks,
    cast(sum(is_completed) as double) / count(*) as completed_share,
    sum(summarization_time_saved) as total_time_saved
from records
group by maintenance_type
