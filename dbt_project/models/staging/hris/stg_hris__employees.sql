with

source as (

    select * from {{ source('raw', 'hris__employees') }}
    where _quarantined is not true

),

typed as (

    select
        {{ to_string('employee_id') }} as employee_id,
        {{ to_string('first_name') }} as first_name,
        {{ to_string('last_name') }} as last_name,
        {{ to_string('email') }} as email,
        {{ to_date('hire_date') }} as hire_date,
        {{ to_date('termination_date') }} as termination_date,
        {{ to_timestamp_utc('modified_at') }} as modified_at,

        _file as source_file,
        _row_number as source_row,
        cast(_loaded_at as timestamp) as _loaded_at

    from source

),

final as (

    {{
        latest_version(
            'typed',
            key_columns=['employee_id'],
            versioned_by='modified_at',
            deletable=false
        )
    }}

)

select * from final
