-- Per calendar month of log_date: tasks, cost, downtime and time saved (the trend view).

with records as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'log_date') }} as date) as log_month
    from {{ ref('stg_fts__records') }}

)

select
    log_month,
    count(*) as total_tasks,
    sum(is_completed) as completed_tasks,
    sum(maintenance_cost) as total_maintenance_cost,
    sum(downtime_hours) as total_downtime_hours,
    sum(summarization_time_saved) as total_time_saved,
    avg(failure_rate) as avg_failure_rate
from records
group by log_month
