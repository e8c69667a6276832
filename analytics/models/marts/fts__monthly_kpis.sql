-- Per calendar month of log_date: the trend view. Undated tasks form the row whose log_month is null, so the months
-- add up to every task; a chart of months leaves that row out and says how many tasks it holds.

with tasks as (

    select * from {{ ref('fts__tasks') }}

)

select
    log_month,
    {{ fts_task_measures() }}
from tasks
group by log_month
