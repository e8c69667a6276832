-- Every mart built over the records accounts for exactly the live (not soft-deleted) source rows: the same task count
-- and the same total cost. Returns a row per mart that does not.

with live as (

    select count(*) as tasks, coalesce(sum(maintenance_cost), 0) as cost
    from {{ source('fts', 'fts_records') }}
    where not {{ fts_is_deleted('fts', 'fts_records') }}

),

marts as (

    {% for mart in ['fts__technician_summary', 'fts__equipment_reliability', 'fts__maintenance_type_effectiveness',
                    'fts__monthly_kpis', 'fts__customer_summary'] %}
    select '{{ mart }}' as mart, sum(total_tasks) as tasks, coalesce(
        {%- if mart == 'fts__maintenance_type_effectiveness' %} sum(avg_maintenance_cost * total_tasks)
        {%- else %} sum(total_maintenance_cost){% endif %}, 0) as cost
    from {{ ref(mart) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select marts.mart, marts.tasks, live.tasks as live_tasks, marts.cost, live.cost as live_cost
from marts
cross join live
where marts.tasks <> live.tasks or abs(marts.cost - live.cost) > 0.01
