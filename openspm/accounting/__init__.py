"""Commission accounting (docs/contract.md section 5, docs/accounting.md).

The numbers are computed by the dbt models under ``dbt_project/models/intermediate/accounting``
and published by the close with the payouts; their blocking checks are
``openspm.quality.accounting_checks``. This package holds the rest of what runs in Python: the
policy handed to dbt (``policy``), the roll-forward summary of the close report
(``rollforward``) and the month's files (``files``).
"""
