{{ config(materialized='table') }}

with recursive

links as (

    select
        employee_id,
        manager_id,
        valid_from,
        valid_to

    from {{ ref('int_manager_links') }}
    where is_known_manager

),

-- walk up one link at a time; the range of a path is the intersection of the ranges of its
-- links ("every link read on D"); a link back into the path closes a cycle and ends the walk
paths as (

    select
        employee_id,
        manager_id as ancestor_id,
        1 as depth,
        valid_from,
        valid_to,
        {{ text_list(['employee_id', 'manager_id']) }} as path,
        employee_id = manager_id as is_cycle

    from links

    union all

    select
        paths.employee_id,
        links.manager_id as ancestor_id,
        paths.depth + 1 as depth,
        greatest(paths.valid_from, links.valid_from) as valid_from,
        least(paths.valid_to, links.valid_to) as valid_to,
        {{ list_append('paths.path', 'links.manager_id') }} as path,
        {{ list_has('paths.path', 'links.manager_id') }} as is_cycle

    from paths
    inner join links
        on links.employee_id = paths.ancestor_id
        and links.valid_from <= paths.valid_to
        and links.valid_to >= paths.valid_from
    where not paths.is_cycle

),

final as (

    select * from paths

)

select * from final
