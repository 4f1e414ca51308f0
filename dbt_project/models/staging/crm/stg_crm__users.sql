with

source as (

    select * from {{ source('raw', 'crm__users') }}
    where _quarantined is not true

),

typed as (

    select
        {{ to_string('user_id') }} as user_id,
        {{ to_string('employee_id') }} as employee_id,
        {{ to_string('email') }} as email,
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
            key_columns=['user_id'],
            versioned_by='modified_at',
            deletable=true
        )
    }}

)

select * from final
