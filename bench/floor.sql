-- The floor: credits (docs/contract.md rules 1-5) and monthly payout lines and payouts (rules 6-11)
-- straight from the landing files, in one hand-written DuckDB script. No Dagster, no dbt, no
-- raw or staging layer: bench/floor.py substitutes
--   ${crm/deals}, ${crm/deal_splits}, ${crm/users}, ${hris/employees}, ${hris/job_history},
--   ${erp/invoices}, ${erp/payments},
--   ${erp/fx_rates}   a typed scan of the entity's CSV and Parquet batches (with `_file`),
--   ${first_month}, ${through_month}   the months settled ('YYYY-MM-01'; through: '' = the
--                     month of the latest credit date, as dbt's default),
-- and attaches the validated compensation configuration as schema `comp` (the tables
-- openspm.comp.write_comp_tables writes: parsing YAML is not data work).
--
-- It reproduces marts.fct_credits, fct_payout_lines and fct_payouts row for row for a
-- warehouse in which no month is published yet (finance.* empty), e.g. a month's first close
-- with first_period set to that month. Money stays DECIMAL; the arithmetic that decides
-- rounding (fx conversion, tier earnings, cents) is the contract's, written as the engine
-- writes it (docs/crediting.md, docs/engine.md).
-- Versioning (docs/contract.md section 2): per key the greatest modified_at, then the file name that
-- sorts last; a key whose latest version is deleted is dropped. (Rows of one batch with the
-- same key and modified_at are a blocking data-quality error, so no row-number tie-break.)

set TimeZone = 'UTC';
create schema if not exists floor_out;

-- 1. Latest versions of the landing records this work reads --------------------------------

create or replace temp table deals as
select deal_id, owner_id, lower(trim(deal_type)) as deal_type, is_won, close_date,
    amount, upper(trim(currency)) as currency, cancelled_date
from ${crm/deals}
qualify row_number() over (
    partition by deal_id order by modified_at desc nulls last, _file desc) = 1
    and not coalesce(is_deleted, false);

create or replace temp table splits as
select split_id, deal_id, owner_id, lower(trim(split_type)) as split_type, split_percent
from ${crm/deal_splits}
qualify row_number() over (
    partition by split_id order by modified_at desc nulls last, _file desc) = 1
    and not coalesce(is_deleted, false);

-- rule 4.2: invoices (billings) and payments (collections), read only when a plan pays on them
create or replace temp table invoices as
select invoice_id, deal_id, invoice_date, amount, upper(trim(currency)) as currency,
    lower(trim(status)) as status
from ${erp/invoices}
where exists (select 1 from comp.plan_components where measure in ('billings', 'collections'))
qualify row_number() over (
    partition by invoice_id order by modified_at desc nulls last, _file desc) = 1
    and not coalesce(is_deleted, false);

create or replace temp table payments as
select payment_id, invoice_id, payment_date, amount, upper(trim(currency)) as currency
from ${erp/payments}
where exists (select 1 from comp.plan_components where measure = 'collections')
qualify row_number() over (
    partition by payment_id order by modified_at desc nulls last, _file desc) = 1
    and not coalesce(is_deleted, false);

create or replace temp table employees as
select distinct employee_id from ${hris/employees};

-- CRM users that map to a known employee
create or replace temp table users as
select u.user_id, u.employee_id
from (
    select user_id, employee_id from ${crm/users}
    qualify row_number() over (
        partition by user_id order by modified_at desc nulls last, _file desc) = 1
        and not coalesce(is_deleted, false)
) as u
semi join employees on u.employee_id = employees.employee_id;

create or replace temp table fx as
select rate_date, upper(trim(from_currency)) as from_currency,
    upper(trim(to_currency)) as to_currency, rate
from ${erp/fx_rates}
qualify row_number() over (
    partition by rate_date, upper(trim(from_currency)), upper(trim(to_currency))
    order by _file desc) = 1;

-- Rule 1 for a set of (from_currency, to_currency, as_of_date) requests, for credits and for
-- payouts: the latest rate of the pair by the date, else the inverse pair's, inverted (integer
-- arithmetic, half-up to 12 decimals); a non-positive rate is missing.
create or replace temp macro fx_rates_asof(requests) as table
select r.from_currency, r.to_currency, r.as_of_date,
    case
        when d.rate is not null then case when d.rate > 0 then d.rate::decimal(24, 12) end
        when i.rate > 0 then ((2000000000000000000000000::hugeint
            + (i.rate * 1000000000000)::hugeint) // (2 * (i.rate * 1000000000000)::hugeint)
            )::decimal(38, 0) * 0.000000000001::decimal(13, 12)
    end::decimal(24, 12) as fx_rate
from query_table(requests) as r
asof left join fx as d
    on d.from_currency = r.from_currency and d.to_currency = r.to_currency
    and d.rate_date <= r.as_of_date
asof left join fx as i
    on i.from_currency = r.to_currency and i.to_currency = r.from_currency
    and i.rate_date <= r.as_of_date;

-- 2. Hierarchy: manager ranges and every (employee, ancestor, range) -------------------------

create or replace temp table closure as
with recursive
jobs as (
    select employee_id, effective_date, manager_id
    from ${hris/job_history}
    qualify row_number() over (
        partition by employee_id, effective_date order by modified_at desc nulls last,
        _file desc) = 1
),
links as (
    select jobs.employee_id, jobs.manager_id, jobs.effective_date as valid_from,
        coalesce(lead(jobs.effective_date) over (
            partition by jobs.employee_id order by jobs.effective_date) - 1,
            date '9999-12-31') as valid_to
    from jobs
),
known as (
    select links.* from links semi join employees on links.manager_id = employees.employee_id
),
walk as (
    select employee_id, manager_id as ancestor_id, valid_from, valid_to, 1 as depth
    from known
    union all
    select walk.employee_id, known.manager_id, greatest(walk.valid_from, known.valid_from),
        least(walk.valid_to, known.valid_to), walk.depth + 1
    from walk
    join known
        on known.employee_id = walk.ancestor_id
        and known.valid_from <= walk.valid_to
        and known.valid_to >= walk.valid_from
    where walk.depth < 64  -- a cycle fails the engine's checks; here it only has to stop
)
select employee_id, ancestor_id, valid_from, valid_to from walk;

-- 3. Credits (rules 1-5) ---------------------------------------------------------------------

create or replace temp table assignments as
select a.employee_id, a.plan_id, a.effective_from as valid_from,
    coalesce(a.effective_end, a.effective_to, date '9999-12-31') as valid_to,
    p.currency as plan_currency, p.clawback_window_days
from comp.plan_assignments as a
join comp.plans as p on a.plan_id = p.plan_id;

-- person-credits of every event (the deal; its invoices and payments, rule 4.2) and their
-- roll-ups on the event's date, each in the plan held on that date, converted
create or replace temp table plan_credits as
with
won as (
    select * from deals
    where is_won and close_date is not null and amount is not null and currency is not null
),
won_splits as (
    select splits.* from splits semi join won on splits.deal_id = won.deal_id
),
owner_credits as (
    select won.deal_id, null::varchar as split_id, won.owner_id as crm_user_id,
        'direct' as credit_type, 'direct_owner' as rule, 100::decimal(9, 6) as split_percent,
        won.amount::decimal(38, 14) as source_amount
    from won
    anti join (select distinct deal_id from won_splits where split_type = 'revenue') as r
        on won.deal_id = r.deal_id
    union all
    select s.deal_id, s.split_id, s.owner_id,
        case s.split_type when 'revenue' then 'split' else 'overlay' end,
        case s.split_type when 'revenue' then 'revenue_split' else 'overlay_split' end,
        s.split_percent,
        (won.amount * s.split_percent * 0.01::decimal(3, 2))::decimal(38, 14)
    from won_splits as s
    join won on s.deal_id = won.deal_id
),
booked as (
    select 'deal' as event_type, o.deal_id as event_id, o.deal_id, o.split_id,
        users.employee_id, o.credit_type, o.rule, won.close_date as credit_date, won.deal_type,
        o.split_percent, o.source_amount, won.currency as source_currency,
        null::varchar as rollup_from_employee_id, won.cancelled_date
    from owner_credits as o
    join won on o.deal_id = won.deal_id
    join users on o.crm_user_id = users.user_id
),
-- invoices not void; payments of such invoices (plans paying on them: see the scans)
events as (
    select 'invoice' as event_type, invoice_id as event_id, deal_id, invoice_date as event_date,
        amount, currency
    from invoices
    where status <> 'void'
        and exists (select 1 from comp.plan_components where measure = 'billings')
    union all
    select 'payment', p.payment_id, i.deal_id, p.payment_date, p.amount, p.currency
    from payments as p
    join invoices as i on p.invoice_id = i.invoice_id
    where i.status <> 'void'
),
-- the deal's holders and shares of each event's amount; no clawback (bookings only)
person as (
    select * from booked
    union all
    select e.event_type, e.event_id, b.deal_id, b.split_id, b.employee_id, b.credit_type,
        b.rule, e.event_date, b.deal_type, b.split_percent,
        (e.amount * b.split_percent * 0.01::decimal(3, 2))::decimal(38, 14), e.currency,
        null, null
    from events as e
    join booked as b on e.deal_id = b.deal_id
),
all_credits as (
    select * from person
    union all
    select p.event_type, p.event_id, p.deal_id, p.split_id, c.ancestor_id, 'rollup', 'rollup',
        p.credit_date, p.deal_type, p.split_percent, p.source_amount, p.source_currency,
        p.employee_id, p.cancelled_date
    from person as p
    join closure as c
        on p.employee_id = c.employee_id
        and p.credit_date between c.valid_from and c.valid_to
    where p.credit_type in ('direct', 'split')
),
assigned as (
    select all_credits.*, a.plan_id, a.plan_currency, a.clawback_window_days
    from all_credits
    join assignments as a
        on all_credits.employee_id = a.employee_id
        and all_credits.credit_date between a.valid_from and a.valid_to
    -- an invoice's or payment's credit only in a plan that pays on its measure
    where all_credits.event_type = 'deal'
        or (a.plan_id, case all_credits.event_type when 'invoice' then 'billings'
            else 'collections' end) in (select plan_id, measure from comp.plan_components)
),
requests as (
    select distinct source_currency as from_currency, plan_currency as to_currency,
        credit_date as as_of_date
    from assigned
    where source_currency <> plan_currency
),
rates as (
    select * from fx_rates_asof(requests)
)
select assigned.*,
    case when assigned.source_currency = assigned.plan_currency then 1::decimal(24, 12)
        else rates.fx_rate end as fx_rate,
    case when assigned.source_currency = assigned.plan_currency then assigned.source_amount
        else (trunc(assigned.source_amount)::decimal(38, 0) * rates.fx_rate
            + ((assigned.source_amount - trunc(assigned.source_amount)) * rates.fx_rate
                )::decimal(38, 14))::decimal(38, 14)
    end as amount
from assigned
left join rates
    on assigned.source_currency = rates.from_currency
    and assigned.plan_currency = rates.to_currency
    and assigned.credit_date = rates.as_of_date;

-- rule 4: one row per component paying on the event (its measure) and admitting the credit;
-- rule 5: clawback reversals of bookings; one credit per credit_id (event | employee | type |
-- roll-up source | plan | component | reversal)
create or replace temp table credits as
with
component_credits as (
    select pc.*, c.component_id
    from plan_credits as pc
    join comp.plan_components as c
        on pc.plan_id = c.plan_id
        and c.measure = case pc.event_type when 'deal' then 'bookings'
            when 'invoice' then 'billings' else 'collections' end
        and list_contains(c.deal_types, pc.deal_type)
        and list_contains(c.credit_types, pc.credit_type)
),
credits as (
    select event_type, event_id, deal_id, employee_id, credit_type, false as is_reversal,
        credit_date, source_amount, source_currency, fx_rate, amount,
        plan_currency, plan_id, component_id, rollup_from_employee_id
    from component_credits
    union all
    select event_type, event_id, deal_id, employee_id, credit_type, true, cancelled_date,
        -source_amount, source_currency, fx_rate, -amount, plan_currency, plan_id,
        component_id, rollup_from_employee_id
    from component_credits
    where event_type = 'deal'
        and cancelled_date between credit_date and credit_date + clawback_window_days
)
select
    md5(concat_ws('|', event_type, event_id, employee_id, credit_type,
        coalesce(rollup_from_employee_id, ''), plan_id, component_id,
        case when is_reversal then 'reversal' else 'credit' end)) as credit_id,
    event_type, event_id, deal_id, employee_id, credit_type, is_reversal, credit_date,
    sum(source_amount) as source_amount, source_currency, fx_rate, sum(amount) as amount,
    plan_currency as currency, plan_id, component_id, rollup_from_employee_id
from credits
group by all;

-- 4. Months settled ----------------------------------------------------------------------------

create or replace temp table months as
with bounds as (
    select '${first_month}'::date as first_month,
        coalesce(nullif('${through_month}', '')::date,
            (select date_trunc('month', max(credit_date)) from credits))::date
            as through_month
)
select strftime(m, '%Y-%m') as period, m::date as month_start,
    (m + interval 1 month - interval 1 day)::date as month_end,
    row_number() over (order by m)::integer as month_number
from bounds,
    generate_series(first_month::timestamp, through_month::timestamp, interval 1 month) as s(m);

-- 5. Earnings to date (rules 6-7, 9) and lines (rule 8), nothing published yet ------------------

create or replace temp table periods as select * from comp.quota_periods;
create or replace temp table last_periods as
select plan_id, component_id, source, max(period_start) as period_start
from periods group by all;

-- each credit in the quota period holding its date (a late reversal: the plan's last one)
create or replace temp table credit_events as
select c.*, coalesce(q.period_start, l.period_start) as quota_period_start
from credits as c
left join periods as q
    on q.source = 'component' and c.plan_id = q.plan_id
    and c.component_id = q.component_id
    and c.credit_date between q.period_start and q.period_end
left join last_periods as l
    on l.source = 'component' and c.plan_id = l.plan_id
    and c.component_id = l.component_id;

-- rule 9: SPIFF shares of direct and split holders of qualifying deals, and their clawbacks
create or replace temp table spiff_events as
with
spiff_shares as (
    select pc.deal_id, pc.employee_id, pc.credit_type, pc.plan_id, pc.plan_currency,
        s.spiff_id, pc.credit_date, pc.cancelled_date, pc.clawback_window_days,
        (s.amount * pc.split_percent * 0.01::decimal(3, 2))::decimal(38, 14) as amount
    from plan_credits as pc
    join deals on pc.deal_id = deals.deal_id
    join comp.plan_spiffs as s
        on pc.plan_id = s.plan_id
        and list_contains(s.deal_types, pc.deal_type)
        and pc.credit_date between s.from_date and s.to_date
    where pc.event_type = 'deal'
        and pc.credit_type in ('direct', 'split')
        and pc.fx_rate is not null
        and (trunc(deals.amount::decimal(38, 14))::decimal(38, 0) * pc.fx_rate
            + ((deals.amount::decimal(38, 14) - trunc(deals.amount::decimal(38, 14)))
                * pc.fx_rate)::decimal(38, 14))::decimal(38, 14) >= s.min_amount
)
select e.deal_id, e.employee_id, e.credit_type, e.plan_id, e.plan_currency,
    e.spiff_id as component_id, e.is_reversal,
    coalesce(q.period_start, l.period_start) as quota_period_start, e.event_date, e.amount
from (
    select deal_id, employee_id, credit_type, plan_id, plan_currency, spiff_id,
        false as is_reversal, credit_date as event_date, amount
    from spiff_shares
    union all
    select deal_id, employee_id, credit_type, plan_id, plan_currency, spiff_id, true,
        cancelled_date, -amount
    from spiff_shares
    where cancelled_date between credit_date and credit_date + clawback_window_days
) as e
left join periods as q
    on q.source = 'spiff' and e.plan_id = q.plan_id and e.spiff_id = q.component_id
    and e.event_date between q.period_start and q.period_end
left join last_periods as l
    on l.source = 'spiff' and e.plan_id = l.plan_id and e.spiff_id = l.component_id;

-- the credit ledger (docs/contract.md section 7) with nothing published: the first month adds
-- every credit dated up to its end, each later month the credits dated in it
create or replace table floor_out.credits as
with
bounds as (select min(month_start) as first_month, max(month_end) as through_end from months),
all_credits as (
    select credit_id, event_type, event_id, deal_id, employee_id,
        credit_type, is_reversal, credit_date, quota_period_start, source_amount,
        source_currency, fx_rate, amount, currency, plan_id, component_id,
        rollup_from_employee_id
    from credit_events
    union all
    select md5(concat_ws('|', 'deal', deal_id, employee_id, credit_type, '', plan_id,
            component_id, case when is_reversal then 'reversal' else 'credit' end)),
        'deal', deal_id, deal_id, employee_id, credit_type, is_reversal, event_date,
        quota_period_start, sum(amount), plan_currency, 1::decimal(24, 12), sum(amount),
        plan_currency, plan_id, component_id, null
    from spiff_events
    group by all
)
select strftime(greatest(credit_date, bounds.first_month), '%Y-%m') as period, credit_id,
    'add' as entry, all_credits.* exclude (credit_id)
from all_credits, bounds
where credit_date <= bounds.through_end;

create or replace table floor_out.payout_lines as
with
bounds as (select min(month_start) as first_month, max(month_end) as through_end from months),
events as (
    select 'component' as kind, employee_id, plan_id, component_id, quota_period_start,
        credit_date as event_date, amount
    from credit_events
    union all
    select 'spiff', employee_id, plan_id, component_id, quota_period_start, event_date, amount
    from spiff_events
),
keys as (
    select distinct kind, employee_id, plan_id, component_id, quota_period_start
    from (
        select 'component' as kind, a.employee_id, a.plan_id, q.component_id,
            q.period_start as quota_period_start
        from assignments as a
        join periods as q
            on q.source = 'component' and a.plan_id = q.plan_id
            and q.period_start <= a.valid_to and q.period_end >= a.valid_from
        union all
        select kind, employee_id, plan_id, component_id, quota_period_start from events
    )
),
-- credits up to through: before the first month as an opening amount, then by month
sums as (
    select kind, employee_id, plan_id, component_id, quota_period_start,
        case when event_date < bounds.first_month then null
            else strftime(event_date, '%Y-%m') end as period,
        sum(amount) as amount
    from events, bounds
    where event_date <= bounds.through_end
    group by all
),
dense as (
    select k.*, m.period, m.month_number,
        coalesce(s.amount, 0)::decimal(38, 14) as in_month,
        (coalesce(o.amount, 0) + sum(coalesce(s.amount, 0)) over (
            partition by k.kind, k.employee_id, k.plan_id, k.component_id,
                k.quota_period_start
            order by m.month_number))::decimal(38, 14) as to_date
    from keys as k
    join months as m on m.month_end >= k.quota_period_start
    left join sums as o
        on o.period is null and (k.kind, k.employee_id, k.plan_id, k.component_id,
            k.quota_period_start) = (o.kind, o.employee_id, o.plan_id, o.component_id,
            o.quota_period_start)
    left join sums as s
        on s.period = m.period and (k.kind, k.employee_id, k.plan_id, k.component_id,
            k.quota_period_start) = (s.kind, s.employee_id, s.plan_id, s.component_id,
            s.quota_period_start)
),
-- rule 7 on credit to date x (month end, month before): flat, marginal, retroactive; cap
valued as (
    select d.*, (d.to_date - d.in_month)::decimal(38, 14) as before, c.rate_method,
        c.flat_rate, c.cap, q.quota
    from dense as d
    left join comp.plan_components as c
        on d.kind = 'component' and d.plan_id = c.plan_id and d.component_id = c.component_id
    left join comp.quotas as q
        on d.kind = 'component' and d.employee_id = q.employee_id and d.plan_id = q.plan_id
        and d.component_id = q.component_id and d.quota_period_start = q.period_start
),
tiered as (
    select v.kind, v.employee_id, v.plan_id, v.component_id, v.quota_period_start,
        v.month_number, x.which,
        case
            when x.ctd < 0 then x.ctd * arg_min(t.rate, t.tier_number)
            when v.rate_method = 'marginal' then sum((t.rate * greatest(0::decimal(38, 16),
                least(x.ctd::decimal(38, 16),
                    coalesce((v.quota * t.tier_to)::decimal(38, 16), x.ctd::decimal(38, 16)))
                - (v.quota * t.tier_from)::decimal(38, 16)))::decimal(38, 20))
            else x.ctd * arg_max(t.rate, t.tier_number)
                filter (where x.ctd >= (v.quota * t.tier_from)::decimal(38, 16))
        end::decimal(38, 20) as earned
    from valued as v
    cross join (
        select which, case which when 'to_date' then v.to_date else v.before end as ctd
        from (values ('to_date'), ('before')) as w(which)
    ) as x
    join comp.plan_component_tiers as t
        on v.plan_id = t.plan_id and v.component_id = t.component_id
    where v.rate_method in ('marginal', 'retroactive')
    group by v.kind, v.employee_id, v.plan_id, v.component_id, v.quota_period_start,
        v.month_number, x.which, x.ctd, v.rate_method
),
earned as (
    select v.kind, v.employee_id, v.plan_id, v.component_id, v.quota_period_start, v.period,
        v.month_number,
        case when v.kind = 'spiff' then v.to_date::decimal(38, 20)
            when v.rate_method = 'flat' then least(v.flat_rate * v.to_date, v.cap)
            else least(t1.earned, v.cap) end::decimal(38, 20) as earned_to_date,
        case when v.kind = 'spiff' then v.before::decimal(38, 20)
            when v.rate_method = 'flat' then least(v.flat_rate * v.before, v.cap)
            else least(t0.earned, v.cap) end::decimal(38, 20) as earned_before
    from valued as v
    left join tiered as t1
        on t1.which = 'to_date' and (v.kind, v.employee_id, v.plan_id, v.component_id,
            v.quota_period_start, v.month_number) = (t1.kind, t1.employee_id, t1.plan_id,
            t1.component_id, t1.quota_period_start, t1.month_number)
    left join tiered as t0
        on t0.which = 'before' and (v.kind, v.employee_id, v.plan_id, v.component_id,
            v.quota_period_start, v.month_number) = (t0.kind, t0.employee_id, t0.plan_id,
            t0.component_id, t0.quota_period_start, t0.month_number)
),
-- rule 8 with nothing published: the cumulative amount rounded to cents; a month attributes
-- what the month before it had due, so the lines telescope to the rounded earnings to date
due as (
    select *,
        round(coalesce(earned_to_date, 0), 2)::decimal(18, 2) as due_to_date,
        round(coalesce(earned_before, 0), 2)::decimal(18, 2) as due_before,
        coalesce(lag(round(coalesce(earned_to_date, 0), 2)::decimal(18, 2)) over (
            partition by kind, employee_id, plan_id, component_id, quota_period_start
            order by month_number),
            -- rule 4.12: begun before the first month, paid to its end by the old system
            case when quota_period_start < (select first_month from bounds)
                then round(coalesce(earned_before, 0), 2)::decimal(18, 2) else 0 end
        ) as attributed_before
    from earned
),
lines as (
    select employee_id, period, plan_id, component_id, quota_period_start,
        case kind when 'spiff' then 'spiff' else 'commission' end as line_type,
        case kind when 'spiff' then due_to_date - attributed_before
            else due_to_date - due_before end as amount
    from due
    union all
    select employee_id, period, plan_id, component_id, quota_period_start, 'restatement',
        due_before - attributed_before
    from due
    where kind = 'component'
)
select lines.employee_id, lines.period, lines.plan_id, lines.component_id,
    lines.quota_period_start, lines.line_type, lines.amount::decimal(18, 2) as amount,
    plans.currency
from lines
join comp.plans as plans on lines.plan_id = plans.plan_id
where lines.amount <> 0;

-- 6. Payouts (rules 10-11): payout currency, draws, recovery, negative carry ---------------------

create or replace temp table carried_inputs as
with
people as (
    select employee_id from assignments
    union select employee_id from floor_out.payout_lines
    union select employee_id from comp.adjustments
),
employee_months as (select people.employee_id, months.* from people cross join months),
-- the plan held on the month's last day, else the last held in the month, else the latest
-- before it, else the first after it
ranked as (
    select em.employee_id, em.period, a.plan_id, a.plan_currency,
        a.valid_from <= em.month_end and a.valid_to >= em.month_start as is_held,
        row_number() over (partition by em.employee_id, em.period order by
            case when em.month_end between a.valid_from and a.valid_to then 1
                when a.valid_from <= em.month_end and a.valid_to >= em.month_start then 2
                when a.valid_from <= em.month_end then 3 else 4 end,
            case when a.valid_from <= em.month_end then a.valid_from end desc nulls last,
            a.valid_from) as plan_rank
    from employee_months as em
    join assignments as a on em.employee_id = a.employee_id
),
currencies as (
    select em.employee_id, em.period, em.month_start, em.month_end, em.month_number,
        r.plan_id as payout_plan_id,
        coalesce(r.plan_currency, adj.currency) as currency,
        h.employee_id is not null as is_held
    from employee_months as em
    left join (select distinct employee_id, period from ranked where is_held) as h
        on em.employee_id = h.employee_id and em.period = h.period
    left join ranked as r
        on em.employee_id = r.employee_id and em.period = r.period and r.plan_rank = 1
    left join (select employee_id, min(currency) as currency from comp.adjustments
        group by employee_id) as adj on em.employee_id = adj.employee_id
),
amounts as (
    select employee_id, period, currency as from_currency, line_type as kind,
        amount::decimal(38, 14) as amount
    from floor_out.payout_lines
    union all
    select employee_id, period, currency, 'adjustment', amount::decimal(38, 14)
    from comp.adjustments
),
requests as (
    select distinct a.from_currency, c.currency as to_currency, c.month_end as as_of_date
    from amounts as a
    join currencies as c on a.employee_id = c.employee_id and a.period = c.period
    where a.from_currency <> c.currency
),
rates as (
    select * from fx_rates_asof(requests)
),
converted as (
    select a.employee_id, a.period, a.kind,
        round(case when a.from_currency = c.currency then a.amount
            else (trunc(a.amount)::decimal(38, 0) * r.fx_rate
                + ((a.amount - trunc(a.amount)) * r.fx_rate)::decimal(38, 14))::decimal(38, 14)
        end, 2)::decimal(18, 2) as amount
    from amounts as a
    join currencies as c on a.employee_id = c.employee_id and a.period = c.period
    left join rates as r
        on a.from_currency = r.from_currency and c.currency = r.to_currency
        and c.month_end = r.as_of_date
),
totals as (
    select employee_id, period,
        sum(amount) filter (where kind in ('commission', 'restatement')) as commission,
        sum(amount) filter (where kind = 'spiff') as spiff,
        sum(amount) filter (where kind = 'adjustment') as adjustments,
        count(*) filter (where amount <> 0) as nonzero
    from converted group by all
),
inputs as (
    select c.employee_id, c.period, c.month_number, c.currency,
        c.is_held or coalesce(t.nonzero, 0) > 0 as is_relevant,
        coalesce(t.commission, 0)::decimal(18, 2) as commission,
        coalesce(t.spiff, 0)::decimal(18, 2) as spiff,
        coalesce(t.adjustments, 0)::decimal(18, 2) as adjustments,
        -- rule 10: no draw in a month without a plan held
        case when d.plan_id is not null and c.is_held and c.month_start >= d.from_date
            and c.month_end <= d.to_date then round(d.monthly_amount, 2)
            else 0 end::decimal(18, 2) as draw,
        coalesce(d.kind = 'recoverable', false) as is_recoverable,
        lag(c.currency) over w as previous_currency,
        lag(c.month_end) over w as previous_month_end
    from currencies as c
    left join totals as t on c.employee_id = t.employee_id and c.period = t.period
    left join comp.plan_draws as d on c.payout_plan_id = d.plan_id
    window w as (partition by c.employee_id order by c.month_number)
),
-- rule 11: the balance and the carry convert when the payout currency changes, at the rate of
-- the last day of the month they leave
carry_requests as (
    select distinct previous_currency as from_currency, currency as to_currency,
        previous_month_end as as_of_date
    from inputs where previous_currency <> currency
),
carry_rates as (select * from fx_rates_asof(carry_requests)),
carried as (
    select i.*, r.fx_rate as carry_rate
    from inputs as i
    left join carry_rates as r
        on i.previous_currency <> i.currency and i.previous_currency = r.from_currency
        and i.currency = r.to_currency and i.previous_month_end = r.as_of_date
)
select * from carried;

create or replace table floor_out.payouts as
with recursive
inputs as (select * from carried_inputs),
-- month by month per employee: top-up, recovery, draw balance and negative carry
steps as (
    select employee_id, month_number, top_up, recovery, carry_in,
        (0 + case when is_recoverable then top_up else 0 end - recovery)::decimal(18, 2)
            as balance,
        least(0, commission + spiff + top_up - recovery + adjustments + carry_in
            )::decimal(18, 2) as carry_out
    from (
        select *,
            case when draw > 0 then greatest(0, draw - commission - spiff) else 0 end
                ::decimal(18, 2) as top_up,
            0::decimal(18, 2) as recovery, 0::decimal(18, 2) as carry_in
        from inputs where month_number = 1
    )
    union all
    select employee_id, month_number, top_up, recovery, carry_in,
        (balance + case when is_recoverable then top_up else 0 end - recovery)::decimal(18, 2),
        least(0, commission + spiff + top_up - recovery + adjustments + carry_in
            )::decimal(18, 2)
    from (
        select *,
            case when draw > 0 then greatest(0, draw - commission - spiff) else 0 end
                ::decimal(18, 2) as top_up,
            least(greatest(balance, 0), greatest(0, commission + spiff - draw)
                )::decimal(18, 2) as recovery
        from (
            select i.*,
                case when i.carry_rate is null then s.balance
                    else round((trunc(s.balance::decimal(38, 14))::decimal(38, 0) * i.carry_rate
                        + ((s.balance::decimal(38, 14) - trunc(s.balance::decimal(38, 14)))
                            * i.carry_rate)::decimal(38, 14))::decimal(38, 14), 2)
                end::decimal(18, 2) as balance,
                case when i.carry_rate is null then s.carry_out
                    else round((trunc(s.carry_out::decimal(38, 14))::decimal(38, 0) * i.carry_rate
                        + ((s.carry_out::decimal(38, 14) - trunc(s.carry_out::decimal(38, 14)))
                            * i.carry_rate)::decimal(38, 14))::decimal(38, 14), 2)
                end::decimal(18, 2) as carry_in
            from steps as s
            join carried_inputs as i
                on s.employee_id = i.employee_id and i.month_number = s.month_number + 1
        )
    )
)
select i.employee_id, i.period, i.currency, i.commission, i.spiff, s.top_up as draw_top_up,
    s.recovery as draw_recovery, i.adjustments, s.carry_in as negative_carry_in,
    greatest(0, i.commission + i.spiff + s.top_up - s.recovery + i.adjustments + s.carry_in
        )::decimal(18, 2) as net_payout
from inputs as i
join steps as s on i.employee_id = s.employee_id and i.month_number = s.month_number
where i.is_relevant or s.carry_in <> 0 or s.top_up <> 0 or s.recovery <> 0;
