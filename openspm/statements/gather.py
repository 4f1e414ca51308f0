"""Gather the statements of one month from ``finance`` (docs/statements.md).

Every number comes from ``finance.*`` (through ``FinanceSource``: a published month, or the
month the close is about to publish). Names, e-mail, job title and manager come from the staged
HRIS data (``staging.stg_hris__*``, the job history row holding on the month's last day), account
names from the staged CRM data (``staging.stg_crm__deals``, ``stg_crm__accounts``: as known when
the files are written), plan names and rates from the loaded configuration (``comp.*``), and the
rate converting a line of another currency from ``staging.stg_erp__fx_rates`` (rule 4.11, as the
engine converts). Each query reads the whole month once; statements are assembled in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from openspm.leaderboard import RANK_COLUMNS, Rank
from openspm.money import cents
from openspm.periods import month_bounds
from openspm.publish import FINANCE_SCHEMA
from openspm.statements.model import (
    ZERO,
    Adjustment,
    ComponentLine,
    CreditLine,
    CreditSummary,
    DealChange,
    Person,
    PlanHeld,
    Restatement,
    Statement,
    TeamMember,
)
from openspm.statements.source import FinanceSource
from openspm.statements.tiers import Tier, amount_text, percent_text, tier_steps
from openspm.warehouse import Warehouse

Key = tuple[str, str, str, date | None]  # employee, plan, component, quota period start


@dataclass(frozen=True)
class ComponentRule:
    method: str
    flat_rate: Decimal | None
    cap: Decimal | None
    tiers: list[Tier]


def _scope(connection: Warehouse, employees: Iterable[str] | None) -> tuple[str, list]:
    """A SQL condition on employee_id (and its parameter) limiting the gathered employees."""
    if employees is None:
        return "true", []
    return connection.in_list("employee_id", sorted(set(employees)))


class MonthData:
    """The month's rows read from the warehouse, grouped by employee."""

    def __init__(
        self,
        source: FinanceSource,
        employees: Iterable[str] | None = None,
        *,
        show_ranks: bool = False,
    ) -> None:
        """``show_ranks``: read the month's leaderboard (openspm.yaml
        ``leaderboard.show_rank_on_statements``)."""
        self.source = source
        self.period = source.period
        self.start, self.end = month_bounds(source.period)
        self.year_start = f"{source.period[:4]}-01"
        self.reports = self._reports()
        self._rates: dict[tuple[str, str], Decimal] = {}
        if employees is not None:  # a manager's statement needs the team's payouts too
            employees = set(employees)
            employees |= {r for e in list(employees) for r in self.reports.get(e, [])}
        where, params = _scope(source.connection, employees)
        self._where, self._params = where, params
        self.payouts = {r[0]: r for r in self._rows("payouts", self._payouts_sql())}
        self.ytd = {r[0]: r for r in self._rows("payouts", self._ytd_sql())}
        self.lines = self._group(self._rows("payout_lines", self._lines_sql()))
        self.before = {
            (r[0], r[1], r[2], r[3]): (r[4], r[5])
            for r in self._rows("payout_lines", self._before_sql())
        }
        self.opening = {
            (r[0], r[1], r[2], r[3]): r[4]
            for r in self._rows("opening_balances", self._opening_sql())
        }
        self.attainment = self._group(self._rows("attainment", self._attainment_sql()))
        self.earlier_quotas: dict[tuple, list] = defaultdict(list)
        for r in self._rows("attainment", self._quotas_sql()):  # ordered by period
            self.earlier_quotas[(r[0], r[1], r[2], r[3])].append(r[4])
        self.spiff_earnings = {
            (r[0], r[1], r[2], r[3]): r[4] for r in self._rows("credits", self._spiff_sql())
        }
        self.go_live = self._is_go_live()
        self.credits = self._group(self._credit_rows())
        self.credit_first_published = {
            r[0]: r[1] for r in self._rows("credits", self._credit_history_sql())
        }
        self.adjustments = self._group(self._rows("adjustments", self._adjustments_sql()))
        self.balances = {r[0]: r for r in self._rows("draw_balances", self._balances_sql())}
        self.plans = self._group(self._plans())
        self.rules = self._rules()
        self.people = self._people()
        self.ranks: dict[str, list[Rank]] = {}
        if show_ranks:
            for row in self._rows("leaderboard", self._ranks_sql()):
                self.ranks.setdefault(row[0], []).append(Rank(*row))

    # ------------------------------------------------------------------ reading

    def _rows(
        self, table: str, sql: str, params: list | None = None, alias: str | None = None
    ) -> list[tuple]:
        relation = self.source.table(table, alias)
        text = sql.replace("{t}", relation).replace("{scope}", self._where)
        return self.source.connection.execute(text, [*self._params, *(params or [])]).fetchall()

    @staticmethod
    def _group(rows: list[tuple]) -> dict[str, list[tuple]]:
        grouped: dict[str, list[tuple]] = defaultdict(list)
        for row in rows:
            grouped[row[0]].append(row)
        return grouped

    def _payouts_sql(self) -> str:
        return (
            "select employee_id, currency, commission, spiff, draw_top_up, draw_recovery, "
            "adjustments, negative_carry_in, net_payout from {t} "
            f"where {{scope}} and period = '{self.period}'"
        )

    def _ytd_sql(self) -> str:
        return (
            "select employee_id, sum(commission), sum(spiff), sum(draw_top_up), "
            "sum(draw_recovery), sum(adjustments), sum(net_payout), count(distinct currency), "
            "min(currency), min(period) from {t} "
            f"where {{scope}} and period between '{self.year_start}' and '{self.period}' "
            "group by employee_id"
        )

    def _lines_sql(self) -> str:
        return (
            "select employee_id, plan_id, component_id, quota_period_start, line_type, amount, "
            "currency from {t} "
            f"where {{scope}} and period = '{self.period}' "
            "order by employee_id, plan_id, component_id, quota_period_start, line_type"
        )

    def _before_sql(self) -> str:
        return (
            "select employee_id, plan_id, component_id, quota_period_start, sum(amount), "
            "min(period) from {t} "
            f"where {{scope}} and period < '{self.period}' group by 1, 2, 3, 4"
        )

    def _opening_sql(self) -> str:
        return (
            "select employee_id, plan_id, component_id, quota_period_start, sum(amount) "
            "from {t} where {scope} and kind = 'paid_to_date' group by 1, 2, 3, 4"
        )

    def _ranks_sql(self) -> str:
        return (
            f"select {', '.join(RANK_COLUMNS)} from {{t}} "
            f"where {{scope}} and period = '{self.period}' "
            "order by employee_id, quota_period_start desc, plan_id"
        )

    def _attainment_sql(self) -> str:
        return (
            "select employee_id, plan_id, component_id, quota_period_start, credit_to_date, "
            "quota, attainment, earnings_to_date from {t} "
            f"where {{scope}} and period = '{self.period}' "
            "order by employee_id, plan_id, component_id"
        )

    def _quotas_sql(self) -> str:
        return (
            "select employee_id, plan_id, component_id, quota_period_start, quota from {t} "
            f"where {{scope}} and period < '{self.period}' and quota is not null "
            "order by employee_id, plan_id, component_id, quota_period_start, period"
        )

    def _spiff_sql(self) -> str:
        lines = self.source.table("payout_lines")
        return (
            "select employee_id, plan_id, component_id, quota_period_start, sum(amount) "
            f"from {{t}} where {{scope}} and period <= '{self.period}' "
            f"and credit_date <= date '{self.end}' and (plan_id, component_id) in "
            f"(select distinct plan_id, component_id from {lines} where line_type = 'spiff') "
            "group by 1, 2, 3, 4"
        )

    def _is_go_live(self) -> bool:
        """Whether the month is the go-live month (first_period): no earlier month is closed."""
        if not self.source.has(f"{FINANCE_SCHEMA}.closes"):
            return True
        row = self.source.connection.execute(
            f"select count(*) from {FINANCE_SCHEMA}.closes where period < ?", [self.period]
        ).fetchone()
        return not row or row[0] == 0

    def _credit_rows(self) -> list[tuple]:
        """The month's ledger entries, one row each (CREDIT_COLUMNS), except in the go-live
        month, whose entries dated before first_period are one ``summary`` row per plan,
        component, quota period and currency: count, total, first and last date (aggregated
        here, in the query: a go-live ledger holds every credit ever dated)."""
        accounts = self.source.has("staging.stg_crm__deals") and self.source.has(
            "staging.stg_crm__accounts"
        )
        account = "a.name" if accounts else "null"
        joins = (
            "left join staging.stg_crm__deals d on d.deal_id = c.deal_id "
            "left join staging.stg_crm__accounts a on a.account_id = d.account_id"
            if accounts
            else ""
        )
        before = f"c.credit_date < date '{self.start}'" if self.go_live else "false"
        sql = (
            "with month_credits as (select * from {t} "
            f"where {self._where.replace('employee_id', 'c.employee_id')} "
            f"and c.period = '{self.period}') "
            "select * from ("
            "select c.employee_id, c.entry, c.deal_id, "
            f"{account} as account, c.event_type, c.event_id, c.credit_type, c.is_reversal, "
            "c.rollup_from_employee_id, c.credit_date, c.source_amount, c.source_currency, "
            "c.fx_rate, c.amount, c.currency, c.plan_id, c.component_id, c.quota_period_start, "
            f"c.credit_id, 1 as credits, c.credit_date as first_date from month_credits c {joins} "
            f"where not ({before}) "
            "union all "
            "select c.employee_id, 'summary', null, null, null, null, null, false, null, "
            "max(c.credit_date), null, null, null, sum(c.amount), c.currency, c.plan_id, "
            "c.component_id, c.quota_period_start, null, count(*), min(c.credit_date) "
            f"from month_credits c where {before} "
            "group by c.employee_id, c.plan_id, c.component_id, c.quota_period_start, "
            "c.currency) as month_rows "
            "order by employee_id, entry <> 'summary', "
            "case when entry = 'summary' then plan_id end, "
            "case when entry = 'summary' then component_id end, "
            "case when entry = 'summary' then quota_period_start end, "
            "case when entry = 'summary' then currency end, "
            "credit_date, deal_id, plan_id, component_id, credit_type, entry"
        )
        return self._rows("credits", sql, alias="c")

    def _credit_history_sql(self) -> str:
        return (
            "select credit_id, max(period) from {t} "
            f"where {{scope}} and entry = 'add' and period < '{self.period}' and credit_id in "
            f"(select credit_id from {{t}} where period = '{self.period}' and entry = 'reverse') "
            "group by credit_id"
        )

    def _adjustments_sql(self) -> str:
        return (
            "select employee_id, adjustment_id, amount, currency, reason from {t} "
            f"where {{scope}} and period = '{self.period}' order by employee_id, adjustment_id"
        )

    def _balances_sql(self) -> str:
        return (
            "select employee_id, draw_balance_before, draw_balance_after from {t} "
            f"where {{scope}} and period = '{self.period}'"
        )

    def _plans(self) -> list[tuple]:
        if not (self.source.has("comp.plan_assignments") and self.source.has("comp.plans")):
            return []
        sql = (
            "select a.employee_id, a.plan_id, coalesce(p.name, a.plan_id), p.currency, "
            "a.effective_from, a.effective_to from comp.plan_assignments a "
            "left join comp.plans p using (plan_id) "
            f"where {self._where.replace('employee_id', 'a.employee_id')} "
            "and a.effective_from <= ? and coalesce(a.effective_end, date '9999-12-31') >= ? "
            "order by a.employee_id, a.effective_from"
        )
        return self.source.connection.execute(
            sql, [*self._params, self.end, self.start]
        ).fetchall()

    def _rules(self) -> dict[tuple[str, str], ComponentRule]:
        if not self.source.has("comp.plan_components"):
            return {}
        tiers: dict[tuple[str, str], list[Tier]] = defaultdict(list)
        if self.source.has("comp.plan_component_tiers"):
            for plan, component, number, start, end, rate in self.source.connection.execute(
                "select plan_id, component_id, tier_number, tier_from, tier_to, rate "
                "from comp.plan_component_tiers order by plan_id, component_id, tier_number"
            ).fetchall():
                tiers[(plan, component)].append(Tier(number, start, end, rate))
        return {
            (plan, component): ComponentRule(method, flat, cap, tiers.get((plan, component), []))
            for plan, component, method, flat, cap in self.source.connection.execute(
                "select plan_id, component_id, rate_method, flat_rate, cap "
                "from comp.plan_components"
            ).fetchall()
        }

    def _people(self) -> dict[str, tuple]:
        """employee -> (name, email, job title, manager id) on the month's last day."""
        if not self.source.has("staging.stg_hris__employees"):
            return {}
        jobs = ""
        if self.source.has("staging.stg_hris__job_history"):
            jobs = (
                "left join (select employee_id, job_title, manager_id from (select employee_id, "
                "job_title, manager_id, row_number() over (partition by employee_id order by "
                "effective_date desc) as job_rank from staging.stg_hris__job_history "
                "where effective_date <= ?) as jobs where job_rank = 1) j using (employee_id)"
            )
        columns = "j.job_title, j.manager_id" if jobs else "null, null"
        rows = self.source.connection.execute(
            "select e.employee_id, trim(concat_ws(' ', e.first_name, e.last_name)), e.email, "
            f"{columns} from staging.stg_hris__employees e {jobs}",
            [self.end] if jobs else [],
        ).fetchall()
        return {r[0]: (r[1] or r[0], r[2], r[3], r[4]) for r in rows}

    def _reports(self) -> dict[str, list[str]]:
        """manager -> the employees who reported to them on a day of the month."""
        if not self.source.has("staging.stg_hris__job_history"):
            return {}
        rows = self.source.connection.execute(
            "with ranges as (select employee_id, manager_id, effective_date as valid_from, "
            "coalesce(lead(effective_date) over (partition by employee_id "
            "order by effective_date) - 1, date '9999-12-31') as valid_to "
            "from staging.stg_hris__job_history) "
            "select distinct manager_id, employee_id from ranges where manager_id is not null "
            "and manager_id <> employee_id and valid_from <= ? and valid_to >= ? "
            "order by manager_id, employee_id",
            [self.end, self.start],
        ).fetchall()
        reports: dict[str, list[str]] = defaultdict(list)
        for manager, employee in rows:
            reports[manager].append(employee)
        return reports

    def fx_rates(self, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Decimal]:
        """The rate of each (from, to) pair on the month's last day, as the engine takes it:
        the latest direct rate dated up to that day, else the inverse pair's, inverted."""
        if not pairs or not self.source.has("staging.stg_erp__fx_rates"):
            return {}
        found: dict[tuple[str, str], Decimal] = {}
        for source_currency, target in pairs:
            if (source_currency, target) in self._rates:
                found[(source_currency, target)] = self._rates[(source_currency, target)]
                continue
            direct = self._latest_rate(source_currency, target)
            if direct is not None and direct > 0:
                found[(source_currency, target)] = direct.quantize(
                    Decimal("0.000000000001"), rounding=ROUND_HALF_UP
                )
                continue
            inverse = self._latest_rate(target, source_currency)
            if inverse is not None and inverse > 0:
                with localcontext() as context:
                    context.prec = 60
                    found[(source_currency, target)] = (Decimal(1) / inverse).quantize(
                        Decimal("0.000000000001"), rounding=ROUND_HALF_UP
                    )
        self._rates.update(found)
        return found

    def _latest_rate(self, source_currency: str, target: str) -> Decimal | None:
        row = self.source.connection.execute(
            "select rate from staging.stg_erp__fx_rates "
            "where from_currency = ? and to_currency = ? and rate_date <= ? "
            "order by rate_date desc limit 1",
            [source_currency, target, self.end],
        ).fetchone()
        return None if row is None or row[0] is None else Decimal(row[0])

    # ------------------------------------------------------------------ names

    def person(self, employee_id: str) -> Person:
        name, email, title, _ = self.people.get(employee_id, (employee_id, None, None, None))
        return Person(employee_id, name, email, title)

    def name(self, employee_id: str | None) -> str | None:
        if employee_id is None:
            return None
        return self.people.get(employee_id, (employee_id,))[0]


def gather_statements(
    source: FinanceSource,
    company: str,
    employees: Iterable[str] | None = None,
    *,
    show_ranks: bool = False,
) -> list[Statement]:
    """The statement of every employee with a payout row in the month (or of ``employees``)."""
    wanted = None if employees is None else set(employees)
    data = MonthData(source, wanted, show_ranks=show_ranks)
    return [
        build_statement(data, company, e)
        for e in sorted(data.payouts)
        if wanted is None or e in wanted
    ]


def build_statement(data: MonthData, company: str, employee_id: str) -> Statement:
    """One employee's statement from the month's rows."""
    (_, currency, commission, spiff, top_up, recovery, adjustments, carry_in, net) = (
        data.payouts[employee_id]
    )
    components = _components(data, employee_id)
    converted, restatement_converted = _converted_lines(data, employee_id, currency)
    summary = {
        "commission": commission - restatement_converted,
        "restatement": restatement_converted,
        "spiff": spiff,
        "draw_top_up": top_up,
        "draw_recovery": -recovery,
        "adjustments": adjustments,
        "negative_carry_in": carry_in,
    }
    gross = sum(summary.values(), ZERO)
    ytd_row = data.ytd.get(employee_id)
    ytd = {}
    if ytd_row is not None and ytd_row[7] == 1:  # one currency this year: totals add up
        ytd = dict(
            zip(
                ("commission", "spiff", "draw_top_up", "draw_recovery", "adjustments",
                 "net_payout"),
                ytd_row[1:7],
                strict=True,
            )
        )
    _, before, after = data.balances.get(employee_id, (employee_id, ZERO, ZERO))
    _, _, _, manager_id = data.people.get(employee_id, (None, None, None, None))
    team = None
    if data.reports.get(employee_id):
        team = [_team_member(data, r) for r in data.reports[employee_id]]
    return Statement(
        company=company,
        period=data.period,
        run_id=data.source.run_id,
        closed_at=data.source.closed_at,
        person=data.person(employee_id),
        manager=data.person(manager_id) if manager_id else None,
        plans=[
            PlanHeld(p, name, plan_currency or "", start, end)
            for _, p, name, plan_currency, start, end in data.plans.get(employee_id, [])
        ],
        currency=currency,
        summary=summary,
        net_payout=net,
        negative_carry_out=min(ZERO, gross),
        ytd=ytd,
        ytd_from=ytd_row[9] if ytd else None,
        components=components,
        credits=[
            _credit(data, row) for row in data.credits.get(employee_id, [])
            if row[1] != "summary"
        ],
        credit_summaries=[
            _credit_summary(data, row) for row in data.credits.get(employee_id, [])
            if row[1] == "summary"
        ],
        restatements=_restatements(data, employee_id, components),
        adjustments=[
            Adjustment(a_id, amount, a_currency, reason or "")
            for _, a_id, amount, a_currency, reason in data.adjustments.get(employee_id, [])
        ],
        draw_balance_before=before if before is not None else ZERO,
        draw_balance_after=after if after is not None else ZERO,
        converted_lines=converted,
        team=team,
        ranks=data.ranks.get(employee_id, []),
    )


def _components(data: MonthData, employee_id: str) -> list[ComponentLine]:
    lines: dict[tuple, ComponentLine] = {}
    for _, plan, component, start, credit, quota, attainment, earnings in data.attainment.get(
        employee_id, []
    ):
        line = ComponentLine(plan, component, start, "", quota=quota, credit_to_date=credit,
                             attainment=attainment)
        rule = data.rules.get((plan, component))
        if rule is not None and credit is not None:
            line.method = rule.method
            tier, steps, earned = tier_steps(
                rule.method, credit, quota, rule.tiers, rule.flat_rate, rule.cap
            )
            if earnings is not None and cents(earned) == cents(earnings):
                line.tier, line.steps = tier, steps
            else:
                line.steps_note = (
                    "the plan's rates changed since this month was computed: earnings as "
                    "published"
                )
        lines[(plan, component, start)] = line
    for _, plan, component, start, line_type, amount, currency in data.lines.get(
        employee_id, []
    ):
        line = lines.get((plan, component, start))
        if line is None:
            line = ComponentLine(plan, component, start, currency, is_spiff=line_type == "spiff")
            lines[(plan, component, start)] = line
        line.currency = currency
        line.is_spiff = line_type == "spiff"
        setattr(line, line_type, getattr(line, line_type) + amount)
    for (plan, component, start), line in lines.items():
        key = (employee_id, plan, component, start)
        paid, first = data.before.get(key, (ZERO, None))
        opening = data.opening.get(key)
        line.paid_before = (paid or ZERO) + (opening or ZERO)
        line.first_paid = first or (f"before {data.period}" if opening is not None else None)
        line.earnings_to_date = line.paid_before + line.due_now
        if line.is_spiff:
            line.credit_to_date = data.spiff_earnings.get(key)
        if not line.currency:
            line.currency = _plan_currency(data, employee_id, plan)
    return sorted(
        lines.values(),
        key=lambda c: (c.plan_id, c.is_spiff, c.component_id, c.quota_period_start or date.min),
    )


def _plan_currency(data: MonthData, employee_id: str, plan_id: str) -> str:
    for row in data.plans.get(employee_id, []):
        if row[1] == plan_id and row[3]:
            return str(row[3])
    return data.payouts[employee_id][1]


def _converted_lines(
    data: MonthData, employee_id: str, currency: str
) -> tuple[list[tuple[str, Decimal, str, Decimal, Decimal]], Decimal]:
    """Lines in another currency than the payout's, converted as the engine converts them
    (rate of the month's last day, each line rounded to cents); the restatements' total in
    the payout currency."""
    rows = data.lines.get(employee_id, [])
    pairs = {(r[6], currency) for r in rows if r[6] != currency}
    rates = data.fx_rates(pairs)
    converted = []
    restatement = ZERO
    for _, plan, component, start, line_type, amount, line_currency in rows:
        if line_currency == currency:
            value = amount
        else:
            rate = rates.get((line_currency, currency))
            if rate is None:
                continue
            with localcontext() as context:
                context.prec = 60
                value = cents(amount * rate)
            label = f"{plan} / {component} {line_type}" + (f" ({start})" if start else "")
            converted.append((label, amount, line_currency, rate, value))
        if line_type == "restatement":
            restatement += value
    return converted, restatement


def _credit(data: MonthData, row: tuple) -> CreditLine:
    (_, entry, deal_id, account, event_type, event_id, credit_type, is_reversal, rollup_from,
     credit_date, source_amount, source_currency, fx_rate, amount, currency, plan, component,
     start, _) = row[:19]
    return CreditLine(
        entry=entry,
        deal_id=deal_id,
        account=account,
        event_type=event_type,
        event_id=event_id,
        credit_type=credit_type,
        is_reversal=bool(is_reversal),
        rollup_from=data.name(rollup_from),
        credit_date=credit_date,
        source_amount=source_amount,
        source_currency=source_currency,
        fx_rate=fx_rate,
        amount=amount,
        currency=currency,
        plan_id=plan,
        component_id=component,
        quota_period_start=start,
    )


def _credit_summary(data: MonthData, row: tuple) -> CreditSummary:
    """The go-live month's credits of one line dated before first_period, as one row."""
    last, amount, currency, plan, component, start, count, first = (
        row[9], row[13], row[14], row[15], row[16], row[17], row[19], row[20]
    )
    return CreditSummary(
        plan_id=plan,
        component_id=component,
        quota_period_start=start,
        before=data.period,
        count=count,
        amount=amount,
        currency=currency,
        first_date=first,
        last_date=last,
    )


def _restatements(
    data: MonthData, employee_id: str, components: list[ComponentLine]
) -> list[Restatement]:
    """Each restated line with the deals that changed since it was first paid, else its cause.

    A line restates earlier months when it is a ``restatement`` line, or a ``spiff`` line whose
    credits of the month include changes to credits dated before the month. The go-live
    month's credits dated before first_period (summary rows) are no change: they were counted
    at go-live, what they earned before is the opening amount paid.
    """
    changes: dict[tuple, list[tuple]] = defaultdict(list)
    for row in data.credits.get(employee_id, []):
        entry, credit_date = row[1], row[9]
        if entry == "summary":
            continue
        if entry == "reverse" or credit_date < data.start:
            changes[(row[15], row[16], row[17])].append(row)
    restated = []
    for _, plan, component, start, line_type, amount, currency in data.lines.get(
        employee_id, []
    ):
        key_changes = changes.get((plan, component, start), [])
        if amount == 0 or (line_type == "commission"):
            continue
        if line_type == "spiff" and not key_changes:
            continue
        first = next(
            (c.first_paid for c in components
             if (c.plan_id, c.component_id, c.quota_period_start) == (plan, component, start)),
            None,
        )
        item = Restatement(plan, component, start, line_type, amount, currency, first)
        item.changes = _deal_changes(data, key_changes)
        item.cause = _cause(data, employee_id, item)
        restated.append(item)
    return restated


def _deal_changes(data: MonthData, rows: list[tuple]) -> list[DealChange]:
    """Pair the month's reverse and add entries of one line by credit_id: changed, removed,
    added, each with the deal, from what to what."""
    by_credit: dict[str, dict[str, tuple]] = defaultdict(dict)
    for row in rows:
        by_credit[row[18]][row[1]] = row
    found = []
    for credit_id, entries in by_credit.items():
        old, new = entries.get("reverse"), entries.get("add")
        sample = new or old
        assert sample is not None
        deal_id, account = sample[2], sample[3]
        what = "clawback " if sample[7] else ""
        if old is not None and new is not None:
            text = (
                f"{what}credit changed from {_was(old)} to {amount_text(new[13])} "
                f"{new[14]} dated {new[9]}"
            )
            change = new[13] + old[13]
        elif old is not None:
            published = data.credit_first_published.get(credit_id)
            when = f", published in {published}" if published else ""
            text = (
                f"{what}credit of {_was(old)}{when} no longer counts here (the deal or its "
                "credit changed, moved or was removed)"
            )
            change = old[13]
        else:
            assert new is not None
            text = (
                f"{what}credit of {amount_text(new[13])} {new[14]} dated {new[9]} added "
                "after its month was paid"
            )
            change = new[13]
        found.append(DealChange(deal_id, account, text, change))
    return sorted(found, key=lambda c: (c.deal_id or "", c.text))


def _was(reverse_row: tuple) -> str:
    return f"{amount_text(-reverse_row[13])} {reverse_row[14]} dated {reverse_row[9]}"


def _cause(data: MonthData, employee_id: str, item: Restatement) -> str:
    key = (employee_id, item.plan_id, item.component_id, item.quota_period_start)
    net_change = sum((c.change for c in item.changes), ZERO)
    if item.changes and net_change != 0:
        return (
            f"credits of this line changed by {amount_text(net_change)} since it was first "
            "paid (listed below)"
        )
    if key in data.opening and item.first_paid and item.first_paid.startswith("before"):
        return (
            f"the go-live amount paid before OpenSPM ({amount_text(data.opening[key])}) "
            "differs from the earnings to date as computed at the first close"
        )
    quotas = data.earlier_quotas.get(key, [])
    current = next(
        (r[5] for r in data.attainment.get(employee_id, [])
         if (r[1], r[2], r[3]) == key[1:]),
        None,
    )
    if quotas and current is not None and any(q != current for q in quotas):
        earlier = next(q for q in reversed(quotas) if q != current)
        return (
            f"no credit changed: the quota was corrected from {amount_text(earlier)} to "
            f"{amount_text(current)}"
        )
    if item.changes:
        return "credits moved within the line (no net change); the plan's terms changed"
    return (
        "no credit changed: a change of the plan or of the plan assignment (rates, tiers, "
        "components, dates) changed what this line earns"
    )


def _team_member(data: MonthData, employee_id: str) -> TeamMember:
    payout = data.payouts.get(employee_id)
    attainments = [
        f"{plan} / {component} {percent_text(attainment)}"
        for _, plan, component, _, _, _, attainment, _ in data.attainment.get(employee_id, [])
        if attainment is not None
    ]
    return TeamMember(
        employee_id=employee_id,
        name=data.name(employee_id) or employee_id,
        currency=payout[1] if payout else None,
        net_payout=payout[8] if payout else None,
        attainment="; ".join(attainments) or "no quota",
    )
