{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_new_batch_keys('erp__invoices', 'invoice_id') }}",
    )
}}
{# Incremental: a nightly build re-versions only the keys of new batches (macros/incremental.sql). #}

with

source as (

    select * from {{ source('raw', 'erp__invoices') }}
    where _quarantined is not true
        {{- only_new_batch_keys('erp__invoices', 'invoice_id') }}

),

typed as (

    select
        {{ to_string('invoice_id') }} as invoice_id,
        {{ to_string('deal_id') }} as deal_id,
        {{ to_date('invoice_date') }} as invoice_date,
        {{ to_decimal('amount', 20, 6) }} as amount,
        {{ to_currency('currency') }} as currency,
        {{ to_enum('status') }} as status,
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
            key_columns=['invoice_id'],
            versioned_by='modified_at',
            deletable=true
        )
    }}

)

select * from final
