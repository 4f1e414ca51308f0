{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_new_batch_keys('crm__deals', 'deal_id') }}",
    )
}}
{# Incremental: a nightly build re-versions only the keys of new batches (macros/incremental.sql). #}

with

source as (

    select * from {{ source('raw', 'crm__deals') }}
    where _quarantined is not true
        {{- only_new_batch_keys('crm__deals', 'deal_id') }}

),

typed as (

    select
        {{ to_string('deal_id') }} as deal_id,
        {{ to_string('account_id') }} as account_id,
        {{ to_string('owner_id') }} as owner_id,
        {{ to_enum('deal_type') }} as deal_type,
        {{ to_string('stage') }} as stage,
        {{ to_boolean('is_won') }} as is_won,
        {{ to_date('close_date') }} as close_date,
        {{ to_decimal('amount', 20, 6) }} as amount,
        {{ to_currency('currency') }} as currency,
        {{ to_date('contract_start_date') }} as contract_start_date,
        {{ to_integer('contract_term_months') }} as contract_term_months,
        {{ to_date('cancelled_date') }} as cancelled_date,
        {{ to_boolean('is_closed') }} as is_closed,
        {{ to_decimal('probability', 9, 6) }} as probability,
        {{ to_string('forecast_category') }} as forecast_category,
        {{ to_timestamp_utc('modified_at') }} as modified_at,
        coalesce({{ to_boolean('is_deleted') }}, false) as is_deleted,

        _file as source_file,
        _row_number as source_row,
        cast(_loaded_at as timestamp) as _loaded_at

    from source

),

final as (

    {{
        latest_version(
            'typed',
            key_columns=['deal_id'],
            versioned_by='modified_at',
            deletable=true
        )
    }}

)

select * from final
