-- Per equipment: how often it is serviced, how failure-prone it is, and what its downtime costs.

with tasks as (

    select * from {{ ref('fts__tasks') }}

)

select
    equipment_id,
    {{ fts_task_measures() }},
    cast(max(failure_rate) as double) as max_failure_rate,
    min(log_date) as first_log_date,
    max(log_date) as last_log_date
from tasks
group by equipment_id
