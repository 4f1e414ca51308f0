{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_new_batch_keys('crm__accounts', 'account_id') }}",
    )
}}
{# Incremental: a nightly build re-versions only the keys of new batches (macros/incremental.sql). #}

with

source as (

    select * from {{ source('raw', 'crm__accounts') }}
    where _quarantined is not true
        {{- only_new_batch_keys('crm__accounts', 'account_id') }}

),

typed as (

    select
        {{ to_string('account_id') }} as account_id,
        {{ to_string('name') }} as name,
        {{ to_string('country') }} as country,
        {{ to_string('industry') }} as industry,
        {{ to_string('segment') }} as segment,
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
            key_columns=['account_id'],
            versioned_by='modified_at',
            deletable=true
        )
    }}

)

select * from final
