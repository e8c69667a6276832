-- Per maintenance type (Predictive vs Corrective vs Condition-Based, and the types the API adds): cost, downtime, failure rate, completion.

with tasks as (

    select * from {{ ref('fts__tasks') }}

)

select
    maintenance_type,
    {{ fts_task_measures() }},
    min(log_date) as first_log_date,
    max(log_date) as last_log_date
from tasks
group by maintenance_type
