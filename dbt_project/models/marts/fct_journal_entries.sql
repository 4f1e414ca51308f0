{# Draft finance.journal_entries: every drafted month (int_journal_entries). #}

select * from {{ ref('int_journal_entries') }}
