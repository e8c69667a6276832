-- Per calendar month and maintenance type: the trend of each type (undated tasks in the null-month rows).

with tasks as (

    select * from {{ ref('fts__tasks') }}

)

select
    log_month,
    maintenance_type,
    {{ fts_task_measures() }}
from tasks
group by log_month, maintenance_type
