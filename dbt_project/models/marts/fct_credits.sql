{#
    Draft finance.credits: the credit ledger entries (add, reverse) each unpublished month's
    close appends (docs/contract.md section 7; int_credit_ledger holds the rule).
#}

select * from {{ ref('int_credit_ledger') }}
