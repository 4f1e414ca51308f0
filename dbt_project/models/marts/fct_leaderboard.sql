{# Draft finance.leaderboard: attainment ranked by role and team per unpublished month (int_leaderboard). #}

select * from {{ ref('int_leaderboard') }}
