{{
    config(
        materialized=incremental_or_table(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_new_batch_keys('crm__deal_splits', 'split_id') }}",
    )
}}
{# Incremental: a nightly build re-versions only the keys of new batches (macros/incremental.sql). #}

with

source as (

    select * from {{ source('raw', 'crm__deal_splits') }}
    where _quarantined is not true
        {{- only_new_batch_keys('crm__deal_splits', 'split_id') }}

),

typed as (

    select
        {{ to_string('split_id') }} as split_id,
        {{ to_string('deal_id') }} as deal_id,
        {{ to_string('owner_id') }} as owner_id,
        {{ to_enum('split_type') }} as split_type,
        {{ to_decimal('split_percent', 9, 6) }} as split_percent,
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
            key_columns=['split_id'],
            versioned_by='modified_at',
            deletable=true
        )
    }}

)

select * from final
