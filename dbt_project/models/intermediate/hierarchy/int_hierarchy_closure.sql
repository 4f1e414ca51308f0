with

paths as (

    select * from {{ ref('int_hierarchy_paths') }}

),

final as (

    select
        employee_id,
        ancestor_id,
        depth,
        valid_from,
        valid_to

    from paths
    where not is_cycle

)

select * from final
