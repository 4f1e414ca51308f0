with

source as (

    select * from {{ source('raw', 'erp__fx_rates') }}
    where _quarantined is not true

),

typed as (

    select
        {{ to_date('rate_date') }} as rate_date,
        {{ to_currency('from_currency') }} as from_currency,
        {{ to_currency('to_currency') }} as to_currency,
        {{ to_decimal('rate', 24, 12) }} as rate,

        _file as source_file,
        _row_number as source_row,
        cast(_loaded_at as timestamp) as _loaded_at

    from source

),

final as (

    {{
        latest_version(
            'typed',
            key_columns=['rate_date', 'from_currency', 'to_currency'],
            versioned_by=none,
            deletable=false
        )
    }}

)

select * from final
