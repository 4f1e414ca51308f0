{#
    The deals whose credits an incremental build recomputes (macros/incremental.sql): every
    deal a new deal batch delivers, and every deal a split of a new split batch belongs to,
    now or in an earlier version (a split that moved from one deal to another changes both).
#}

with

new_deals as (

    {{ new_batch_keys('crm__deals', 'deal_id') }}

),

new_splits as (

    {{ new_batch_keys('crm__deal_splits', 'split_id') }}

),

deals_of_new_splits as (

    select distinct {{ to_string('deal_id') }}
    from {{ source('raw', 'crm__deal_splits') }}
    where {{ to_string('split_id') }} in (select * from new_splits)

),

final as (

    select * from new_deals
    union
    select * from deals_of_new_splits

)

select deal_id from final as changed (deal_id)
where deal_id is not null
