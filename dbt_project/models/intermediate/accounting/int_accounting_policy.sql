{#
    The accounting policy elections of openspm.yaml `accounting:` (docs/contract.md section 5),
    one row. The orchestrator passes them as JSON in the environment variable
    OPENSPM_ACCOUNTING (openspm/accounting/policy.py); without it (dbt run by hand) the
    contract's defaults apply, the same as openspm/settings.py's.
#}

{%- set policy = {
    'practical_expedient': true,
    'renewals_commensurate': true,
    'expected_renewal_months': 0,
    'default_contract_term_months': 12,
    'draft_months': 1,
    'deferred_commissions': 'deferred_commissions',
    'commission_expense': 'commission_expense',
    'commission_amortization': 'commission_amortization',
    'commission_impairment': 'commission_impairment',
    'accrued_commissions': 'accrued_commissions',
    'payroll_clearing': 'payroll_clearing',
} -%}
{%- do policy.update(fromjson(env_var('OPENSPM_ACCOUNTING', '{}'))) -%}


select
    {{ 'true' if policy['practical_expedient'] else 'false' }} as practical_expedient,
    {{ 'true' if policy['renewals_commensurate'] else 'false' }} as renewals_commensurate,
    cast({{ policy['expected_renewal_months'] | int }} as integer) as expected_renewal_months,
    cast({{ policy['default_contract_term_months'] | int }} as integer)
        as default_contract_term_months,
    cast({{ policy['draft_months'] | int }} as integer) as draft_months,
    '{{ policy['deferred_commissions'] | string | replace("'", "''") }}' as deferred_commissions_account,
    '{{ policy['commission_expense'] | string | replace("'", "''") }}' as commission_expense_account,
    '{{ policy['commission_amortization'] | string | replace("'", "''") }}' as commission_amortization_account,
    '{{ policy['commission_impairment'] | string | replace("'", "''") }}' as commission_impairment_account,
    '{{ policy['accrued_commissions'] | string | replace("'", "''") }}' as accrued_commissions_account,
    '{{ policy['payroll_clearing'] | string | replace("'", "''") }}' as payroll_clearing_account
