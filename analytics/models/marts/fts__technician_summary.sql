-- Per technician: tasks, completed, cost, downtime, time saved and failure rate (the original description's fts_technicians).

with tasks as (

    select * from {{ ref('fts__tasks') }}

)

select
    technician_id,
    {{ fts_task_measures() }},
    cast(count(distinct equipment_id) as bigint) as equipment_count,
    min(log_date) as first_log_date,
    max(log_date) as last_log_date
from tasks
group by technician_id
