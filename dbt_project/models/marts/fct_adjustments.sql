{# Draft finance.adjustments: the adjustments each unpublished month's close pays (int_engine_adjustments). #}

select * from {{ ref('int_engine_adjustments') }}
