-- Per customer: the maintenance done for them, what it cost and how much downtime it meant.

with tasks as (

    select * from {{ ref('fts__tasks') }}

)

select
    customer_id,
    {{ fts_task_measures() }},
    cast(count(distinct equipment_id) as bigint) as equipment_count,
    cast(count(distinct technician_id) as bigint) as technician_count,
    min(log_date) as first_log_date,
    max(log_date) as last_log_date
from tasks
group by customer_id
