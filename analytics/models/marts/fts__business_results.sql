-- The four expected business results of the original description (seed fts_business_targets: baseline and target
-- a year), with what the data shows over its latest year of log_date (the 365 days up to the last log_date) and the
-- gap to the target. The data cannot measure failed treatments: nothing in a record says a treatment failed
-- (failure_rate is a rate per equipment or task, not an outcome), so that row has no measured value and says why.

with targets as (

    select * from {{ ref('fts_business_targets') }}

),

tasks as (

    select * from {{ ref('fts__tasks') }}

),

period as (

    select
        cast({{ dbt.dateadd('day', -364, 'max(log_date)') }} as date) as window_start,
        max(log_date) as period_end,
        min(log_date) as first_log_date
    from tasks

),

latest_year as (

    select
        period.window_start,
        period.period_end,
        period.first_log_date,
        cast(count(tasks.record_id) as bigint) as tasks_in_period,
        cast(sum(tasks.maintenance_cost) as double) as maintenance_cost,
        cast(sum(tasks.downtime_hours) as double) as downtime_hours,
        cast(sum(tasks.summarization_time_saved) as double) as summarization_hours
    from period
    left join tasks
        on tasks.log_date between period.window_start and period.period_end
    group by period.window_start, period.period_end, period.first_log_date

),

measured as (

    select
        targets.result_key,
        targets.expected_result,
        targets.metric,
        targets.unit,
        targets.direction,
        targets.baseline_per_year,
        targets.target_per_year,
        case targets.result_key
            when 'maintenance_cost' then latest_year.maintenance_cost
            when 'downtime' then latest_year.downtime_hours
            when 'summarization_hours' then latest_year.summarization_hours
        end as measured_per_year,
        greatest(latest_year.window_start, latest_year.first_log_date) as period_start,
        latest_year.period_end,
        latest_year.tasks_in_period
    from targets
    cross join latest_year

)

select
    cast(result_key as varchar) as result_key,
    cast(expected_result as varchar) as expected_result,
    cast(metric as varchar) as metric,
    cast(unit as varchar) as unit,
    cast(direction as varchar) as direction,
    cast(baseline_per_year as double) as baseline_per_year,
    cast(target_per_year as double) as target_per_year,
    cast(measured_per_year as double) as measured_per_year,
    cast(measured_per_year - target_per_year as double) as gap_to_target,
    case
        when measured_per_year is null then null
        when direction = 'lower' then measured_per_year <= target_per_year
        else measured_per_year >= target_per_year
    end as meets_target,
    measured_per_year is not null as is_measurable,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    tasks_in_period,
    cast(case
        when result_key = 'failed_treatments'
            then 'Not measurable: no field records a failed treatment (failure_rate is a rate per equipment or task,'
                 || ' not an outcome), so LogLynx shows no number for it.'
        when period_start is null
            then 'No dated task to measure.'
        else 'The sum over the tasks logged from period_start to period_end (the latest year of log_date, or all of'
             || ' it when shorter); the data is the synced sample, not the whole company the baseline describes.'
    end as varchar) as how_measured
from measured
