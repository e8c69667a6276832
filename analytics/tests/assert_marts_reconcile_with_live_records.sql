-- Every aggregate mart accounts for exactly the live (not soft-deleted) source rows: the same number of tasks and the
-- same sums of cost, downtime, time saved and failure rate, with the same counts of tasks that have a cost and a
-- failure rate. The expected figures are computed here from the source table itself, independently of the models:
-- a null measure adds nothing, a value outside its range (failure rate outside 0–1, a negative measure) is left out.
-- Returns a row per mart and figure that does not match.

with live as (

    select * from {{ source('fts', 'fts_records') }}
    where not {{ fts_is_deleted('fts', 'fts_records') }}

),

expected as (

    select
        cast(count(*) as double) as tasks,
        cast(coalesce(sum(case when maintenance_cost >= 0 then maintenance_cost end), 0) as double) as cost,
        cast(count(case when maintenance_cost >= 0 then 1 end) as double) as cost_tasks,
        cast(coalesce(sum(case when downtime_hours >= 0 then downtime_hours end), 0) as double) as downtime,
        cast(coalesce(sum(case when summarization_time_saved >= 0 then summarization_time_saved end), 0) as double)
            as time_saved,
        cast(coalesce(sum(case when failure_rate between 0 and 1 then failure_rate end), 0) as double) as failure_rate_sum,
        cast(count(case when failure_rate between 0 and 1 then 1 end) as double) as failure_rate_tasks
    from live

),

marts as (

    {% for mart in ['fts__technician_summary', 'fts__equipment_reliability', 'fts__maintenance_type_effectiveness',
                    'fts__customer_summary', 'fts__monthly_kpis', 'fts__monthly_type_kpis'] %}
    select
        '{{ mart }}' as mart,
        cast(coalesce(sum(total_tasks), 0) as double) as tasks,
        cast(coalesce(sum(total_maintenance_cost), 0) as double) as cost,
        cast(coalesce(sum(cost_tasks), 0) as double) as cost_tasks,
        cast(coalesce(sum(total_downtime_hours), 0) as double) as downtime,
        cast(coalesce(sum(total_time_saved), 0) as double) as time_saved,
        cast(coalesce(sum(failure_rate_sum), 0) as double) as failure_rate_sum,
        cast(coalesce(sum(failure_rate_tasks), 0) as double) as failure_rate_tasks
    from {{ ref(mart) }}
    union all
    {% endfor %}
    select
        'fts__tasks' as mart,
        cast(count(*) as double),
        cast(coalesce(sum(maintenance_cost), 0) as double),
        cast(count(maintenance_cost) as double),
        cast(coalesce(sum(downtime_hours), 0) as double),
        cast(coalesce(sum(summarization_time_saved), 0) as double),
        cast(coalesce(sum(failure_rate), 0) as double),
        cast(count(failure_rate) as double)
    from {{ ref('fts__tasks') }}

),

compared as (

    {% set figures = ['tasks', 'cost', 'cost_tasks', 'downtime', 'time_saved', 'failure_rate_sum', 'failure_rate_tasks'] %}
    {% for figure in figures %}
    select marts.mart, '{{ figure }}' as figure, marts.{{ figure }} as mart_value, expected.{{ figure }} as expected_value
    from marts
    cross join expected
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select *
from compared
-- sums of doubles may differ in their last bits with the order of addition
where abs(mart_value - expected_value) > 0.005
