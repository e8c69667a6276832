{#-
    fts_task_measures(): the measures every aggregate mart carries over fts__tasks, as sums and counts so that any
    roll-up of the mart's rows divides sums (never averages averages), plus the ratios of this grain:

    total_tasks, completed_tasks, total_maintenance_cost and cost_tasks (tasks with a cost), total_downtime_hours,
    total_time_saved, failure_rate_sum and failure_rate_tasks (tasks with a failure rate), then avg_failure_rate,
    avg_maintenance_cost, completed_share and cost_per_downtime_hour (total cost / total downtime hours, null at no
    downtime). Null measures (absent, or out of range in fts__tasks) add nothing to sums and are not counted.
-#}
{% macro fts_task_measures() -%}
    cast(count(*) as bigint) as total_tasks,
    cast(count(case when is_completed then 1 end) as bigint) as completed_tasks,
    cast(coalesce(sum(maintenance_cost), 0) as double) as total_maintenance_cost,
    cast(count(maintenance_cost) as bigint) as cost_tasks,
    cast(coalesce(sum(downtime_hours), 0) as bigint) as total_downtime_hours,
    cast(coalesce(sum(summarization_time_saved), 0) as bigint) as total_time_saved,
    cast(coalesce(sum(failure_rate), 0) as double) as failure_rate_sum,
    cast(count(failure_rate) as bigint) as failure_rate_tasks,
    cast(sum(failure_rate) / nullif(count(failure_rate), 0) as double) as avg_failure_rate,
    cast(sum(maintenance_cost) / nullif(count(maintenance_cost), 0) as double) as avg_maintenance_cost,
    cast(count(case when is_completed then 1 end) as double) / nullif(count(*), 0) as completed_share,
    cast(sum(maintenance_cost) / nullif(sum(downtime_hours), 0) as double) as cost_per_downtime_hour
{%- endmacro %}
