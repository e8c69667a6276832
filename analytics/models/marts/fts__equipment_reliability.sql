-- Per equipment: how often it is serviced, how failure-prone it is, and what its downtime costs.

with records as (

    select * from {{ ref('stg_fts__records') }}

)

select
    equipment_id,
    count(*) as total_tasks,
    avg(failure_rate) as avg_failure_rate,
    max(failure_rate) as max_failure_rate,
    sum(downtime_hours) as total_downtime_hours,
    sum(maintenance_cost) as total_maintenance_cost,
    -- null when the equipment had no downtime at all
    sum(maintenance_cost) / nullif(sum(downtime_hours), 0) as cost_per_downtime_hour,
    max(log_date) as last_log_date
from records
group by equipment_id
