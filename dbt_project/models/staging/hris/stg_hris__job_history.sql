with

source as (

    select * from {{ source('raw', 'hris__job_history') }}
    where _quarantined is not true

),

typed as (

    select
        {{ to_string('employee_id') }} as employee_id,
        {{ to_date('effective_date') }} as effective_date,
        {{ to_string('job_title') }} as job_title,
        {{ to_string('manager_id') }} as manager_id,
        {{ to_string('department') }} as department,
        {{ to_string('country') }} as country,
        {{ to_enum('status') }} as status,
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
            key_columns=['employee_id', 'effective_date'],
            versioned_by='modified_at',
            deletable=false
        )
    }}

)

select * from final
