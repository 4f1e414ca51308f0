"""What a deal would add to each credited person's earnings, computed by the engine's own SQL.

``estimate_deal`` puts one hypothetical deal into the staged CRM data of a read-only query and
renders the engine's dbt models over it (openspm.whatif): the crediting models give who is
credited (owner or revenue splits, overlays, roll-ups along the hierarchy as of the date), under
which plan, component, quota period and fx rate, and which SPIFFs the deal qualifies for; the
earnings models give each credited key's earnings to date with and without the deal, for the
deal's month and every later month the drafts hold. The change of a month's commission line is
the change of its due to date minus the change of its due before (both rounded to cents, as the
settlement rounds them), so the figures are the change the drafts would show once the deal is
in the CRM and the month is recomputed. Nothing is written (on a server warehouse the query runs
on a scratch DuckDB copy of the drafts, openspm.whatif.scratch).
"""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb

from openspm.estimate.deal import DealInput, EstimateError
from openspm.periods import PeriodError, first_period, parse_period, period_of, period_range
from openspm.publish import closed_periods
from openspm.warehouse import WarehouseError, missing_tables, quote_literal
from openspm.whatif import ModelRenderer, RenderError
from openspm.whatif.scratch import drafts_connection
from openspm.workspace import Workspace

DEAL_ID = "what-if-deal"
USER_PREFIX = "what-if:"
CENT = Decimal("0.01")
ZERO = Decimal(0)
NEEDED = (
    "staging.stg_crm__deals",
    "staging.stg_hris__employees",
    "intermediate.int_component_credits",
    "intermediate.int_engine_component_earnings",
    "marts.fct_payouts",
)


def cents(value: Decimal | None) -> Decimal:
    """Rounded half away from zero to cents, as the settlement rounds earnings to date."""
    return (value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Credit:
    """One credit the deal would create (a person, and the plan component it counts in)."""

    employee_id: str
    employee_name: str
    credit_type: str  # direct, split, overlay, rollup
    split_percent: Decimal
    rollup_from_employee_id: str | None
    source_amount: Decimal
    source_currency: str
    plan_id: str | None  # None: no plan held on the date
    component_id: str | None  # None: no component of the plan admits the deal
    quota_period_start: date | None
    fx_rate: Decimal | None
    amount: Decimal | None  # in plan currency
    currency: str | None


@dataclass(frozen=True)
class TierPiece:
    """The part of the deal's credit that falls into one tier (marginal) or the tier paid."""

    tier_number: int
    tier_from: Decimal
    tier_to: Decimal | None
    rate: Decimal
    credit: Decimal  # of the deal's credit in this tier (retroactive: all credit to date)


@dataclass(frozen=True)
class MonthChange:
    period: str
    earnings_before: Decimal  # earnings to date at the month's end without the deal
    earnings_after: Decimal
    line_change: Decimal  # change of the month's commission (or spiff) line, cents


@dataclass(frozen=True)
class KeyChange:
    """What the deal changes for one key: (employee, plan, component or SPIFF, quota period)."""

    employee_id: str
    employee_name: str
    plan_id: str
    component_id: str  # the SPIFF's id for a SPIFF
    kind: str  # commission or spiff
    quota_period_start: date
    currency: str
    rate_method: str | None
    quota: Decimal | None
    cap: Decimal | None
    credit_before: Decimal  # credit to date at the end of the deal's month
    credit_after: Decimal
    attainment_before: Decimal | None
    attainment_after: Decimal | None
    tiers: tuple[TierPiece, ...]
    months: tuple[MonthChange, ...]  # the deal's month first

    @property
    def in_month(self) -> Decimal:
        """Change of the deal month's line."""
        return self.months[0].line_change if self.months else ZERO

    @property
    def later(self) -> Decimal:
        """Change of the later months' lines (tiers crossed later, a cap reached earlier)."""
        return sum((m.line_change for m in self.months[1:]), ZERO)

    @property
    def capped(self) -> bool:
        if self.cap is None or not self.months:
            return False
        return self.months[0].earnings_after >= self.cap


@dataclass(frozen=True)
class Estimate:
    """The answer: the deal, its credits, and the change of every credited key's earnings."""

    deal: DealInput
    currency: str  # the deal's currency (given or defaulted)
    period: str  # the deal's month
    through_period: str  # the last month the drafts settle (later months' changes up to it)
    credits: tuple[Credit, ...]
    changes: tuple[KeyChange, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def totals(self) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """(employee, currency) -> (change in the deal's month, change in later months)."""
        found: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for change in self.changes:
            entry = found[(change.employee_id, change.currency)]
            entry[0] += change.in_month
            entry[1] += change.later
        return {key: (value[0], value[1]) for key, value in found.items()}

    def as_dict(self) -> dict:
        """The estimate as plain data (JSON-ready: amounts as strings)."""

        def text(value: object) -> object:
            if isinstance(value, Decimal | date):
                return str(value)
            return value

        return {
            "deal": {
                "employee_id": self.deal.employee_id,
                "amount": str(self.deal.amount),
                "currency": self.currency,
                "date": str(self.deal.close_date),
                "deal_type": self.deal.deal_type,
                "splits": {s.employee_id: str(s.percent) for s in self.deal.revenue_splits()},
                "overlays": {s.employee_id: str(s.percent) for s in self.deal.overlays},
            },
            "period": self.period,
            "through_period": self.through_period,
            "credits": [{k: text(v) for k, v in vars(c).items()} for c in self.credits],
            "changes": [
                {
                    **{k: text(v) for k, v in vars(c).items() if k not in ("tiers", "months")},
                    "tiers": [{k: text(v) for k, v in vars(t).items()} for t in c.tiers],
                    "months": [{k: text(v) for k, v in vars(m).items()} for m in c.months],
                    "in_month": str(c.in_month),
                    "later": str(c.later),
                }
                for c in self.changes
            ],
            "totals": [
                {
                    "employee_id": employee,
                    "currency": currency,
                    "in_month": str(now),
                    "later": str(later),
                }
                for (employee, currency), (now, later) in sorted(self.totals().items())
            ],
            "notes": list(self.notes),
        }


def estimate_deal(
    ws: Workspace, deal: DealInput, connection: duckdb.DuckDBPyConnection | None = None
) -> Estimate:
    """Estimate ``deal`` from the current drafts of ``ws`` (EstimateError: why not)."""
    if connection is not None:
        return _Estimator(ws, connection, deal).run()
    scratch = ws.state_dir / f"estimate-{uuid.uuid4().hex[:10]}"  # on a server warehouse
    try:
        with drafts_connection(ws, scratch) as opened:
            if opened is None:
                raise EstimateError(
                    f"no warehouse at {ws.warehouse_path}: run `openspm run` first"
                )
            return _Estimator(ws, opened, deal).run()
    except WarehouseError as exc:
        raise EstimateError(str(exc)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(quote_literal(v) for v in sorted(set(values))) + ")"


class _Estimator:
    def __init__(self, ws: Workspace, connection: duckdb.DuckDBPyConnection, deal: DealInput):
        self.ws = ws
        self.con = connection
        self.deal = deal
        self.tag = uuid.uuid4().hex[:10]

    # ------------------------------------------------------------------ checks

    def _check(self) -> tuple[str, str, str]:
        """The deal's month, first_period and the last drafted month, after every refusal."""
        missing = missing_tables(self.con, NEEDED)
        if missing:
            raise EstimateError(
                f"the warehouse has no drafts yet ({', '.join(missing)} missing): run "
                "`openspm run` first"
            )
        try:
            first = first_period(self.ws, self.con)
        except PeriodError as exc:
            raise EstimateError(str(exc)) from None
        month = period_of(self.deal.close_date)
        if month < first:
            raise EstimateError(
                f"--date {self.deal.close_date} is before first_period {first}: OpenSPM pays "
                "nothing for it"
            )
        closed = closed_periods(self.con)
        if month in closed:
            still_open = [p for p in period_range(first, max(month, *closed)) if p not in closed]
            after = [p for p in still_open if p > month]
            hint = f"; the first open month is {after[0]}" if after else ""
            raise EstimateError(
                f"--date {self.deal.close_date} is in {month}, which is closed: a deal dated "
                f"then would be paid as a restatement of the next open month{hint}; give a "
                "date in an open month"
            )
        (latest,) = self.con.execute("select max(period) from marts.fct_payouts").fetchone()  # type: ignore[misc]
        through = max(month, parse_period(latest)) if latest else month
        return month, first, through

    def _names(self) -> dict[str, str]:
        rows = self.con.execute(
            "select employee_id, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "
            "from staging.stg_hris__employees where employee_id in "
            + _in_list(self.deal.employees())
        ).fetchall()
        names = {e: n for e, n in rows}
        unknown = [e for e in self.deal.employees() if e not in names]
        if unknown:
            raise EstimateError(
                f"employee {unknown[0]} is not in hris/employees (the deal names "
                f"{', '.join(self.deal.employees())})"
            )
        return names

    def _currency(self) -> str:
        if self.deal.currency:
            return self.deal.currency
        row = self.con.execute(
            "select plan_currency from intermediate.int_plan_assignment_ranges "
            "where employee_id = ? and ? between valid_from and valid_to",
            [self.deal.employee_id, self.deal.close_date],
        ).fetchone()
        return str(row[0]) if row else self.ws.settings.reporting_currency

    # ------------------------------------------------------------------ what-if inputs

    def _deal_overrides(self, currency: str) -> dict[str, str]:
        d = self.deal
        user = f"{USER_PREFIX}{d.employee_id}"
        deal_row = (
            f"select {quote_literal(DEAL_ID)} as deal_id, 'what-if' as account_id, "
            f"{quote_literal(user)} as owner_id, {quote_literal(d.deal_type)} as deal_type, "
            "'closed_won' as stage, true as is_won, "
            f"cast({quote_literal(str(d.close_date))} as date) as close_date, "
            f"cast({d.amount} as decimal(20, 6)) as amount, {quote_literal(currency)} as currency, "
            "false as is_deleted, true as is_closed"
        )
        deals = f"(select * from staging.stg_crm__deals where false union all by name {deal_row})"
        shares = [("revenue", s) for s in d.revenue_splits()] + [
            ("overlay", s) for s in d.overlays
        ]
        split_rows = " union all by name ".join(
            f"select {quote_literal(f'what-if-split-{i}')} as split_id, "
            f"{quote_literal(DEAL_ID)} as deal_id, "
            f"{quote_literal(USER_PREFIX + share.employee_id)} as owner_id, "
            f"{quote_literal(kind)} as split_type, cast({share.percent} as decimal(9, 6)) "
            "as split_percent, false as is_deleted"
            for i, (kind, share) in enumerate(shares, start=1)
        )
        splits = "(select * from staging.stg_crm__deal_splits where false" + (
            f" union all by name {split_rows})" if split_rows else ")"
        )
        user_rows = " union all by name ".join(
            f"select {quote_literal(USER_PREFIX + e)} as user_id, {quote_literal(e)} as "
            "employee_id, false as is_deleted"
            for e in d.employees()
        )
        users = f"(select * from staging.stg_crm__users union all by name {user_rows})"
        return {"stg_crm__deals": deals, "stg_crm__deal_splits": splits, "stg_crm__users": users}

    def _temp(self, name: str, sql: str) -> str:
        table = f"estimate_{name}_{self.tag}"
        self.con.execute(f"create temp table {table} as {sql}")
        self._made.append(table)
        return table

    # ------------------------------------------------------------------ the estimate

    def run(self) -> Estimate:
        self._made: list[str] = []
        try:
            return self._run()
        except RenderError as exc:
            raise EstimateError(str(exc)) from None
        except duckdb.Error as exc:
            raise EstimateError(
                f"the warehouse does not answer the estimate ({' '.join(str(exc).split())[:200]}); "
                "run `openspm run` to rebuild the drafts"
            ) from None
        finally:
            for table in self._made:
                self.con.execute(f"drop table if exists {table}")

    def _run(self) -> Estimate:
        month, first, through = self._check()
        names = self._names()
        currency = self._currency()
        variables = {"OPENSPM_FIRST_PERIOD": first, "OPENSPM_THROUGH_PERIOD": through}

        crediting = ModelRenderer(self._deal_overrides(currency), variables)
        person = crediting.relation("int_deal_credits")
        plan = crediting.relation("int_plan_credits")
        component = crediting.relation("int_engine_component_credits")
        spiff = crediting.relation("int_engine_spiff_credits")
        is_deal = f"deal_id = {quote_literal(DEAL_ID)}"
        people = self._temp("people", crediting.query(f"select * from {person} where {is_deal}"))
        plans = self._temp("plans", crediting.query(f"select * from {plan} where {is_deal}"))
        components = self._temp(
            "components", crediting.query(f"select * from {component} where {is_deal}")
        )
        spiffs = self._temp("spiffs", crediting.query(f"select * from {spiff} where {is_deal}"))

        credits = self._credits(people, plans, components, names)
        affected = {c.employee_id for c in credits if c.component_id is not None}
        affected |= {r[0] for r in self.con.execute(f"select employee_id from {spiffs}").fetchall()}
        changes: list[KeyChange] = []
        if affected:
            changes = self._changes(components, spiffs, affected, month, variables, credits)
        notes = self._notes(credits, changes, month)
        all_names = names | self._more_names({c.employee_id for c in credits} - set(names))
        credits = [
            c if c.employee_name else _with_name(c, all_names.get(c.employee_id, ""))
            for c in credits
        ]
        changes = [_with_key_name(c, all_names.get(c.employee_id, "")) for c in changes]
        return Estimate(
            deal=self.deal,
            currency=currency,
            period=month,
            through_period=through,
            credits=tuple(credits),
            changes=tuple(changes),
            notes=tuple(notes),
        )

    def _more_names(self, employees: set[str]) -> dict[str, str]:
        if not employees:
            return {}
        rows = self.con.execute(
            "select employee_id, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) "
            f"from staging.stg_hris__employees where employee_id in {_in_list(employees)}"
        ).fetchall()
        return dict(rows)

    def _credits(
        self, people: str, plans: str, components: str, names: dict[str, str]
    ) -> list[Credit]:
        rows = self.con.execute(
            f"""
            select
                people.employee_id, people.credit_type, people.split_percent,
                people.rollup_from_employee_id, people.source_amount, people.source_currency,
                plans.plan_id, components.component_id, components.quota_period_start,
                plans.fx_rate, coalesce(components.amount, plans.amount), plans.plan_currency
            from {people} as people
            left join {plans} as plans
                on people.employee_id = plans.employee_id
                and people.credit_type = plans.credit_type
                and people.rollup_from_employee_id is not distinct from
                    plans.rollup_from_employee_id
            left join {components} as components
                on plans.employee_id = components.employee_id
                and plans.credit_type = components.credit_type
                and plans.plan_id = components.plan_id
                and plans.rollup_from_employee_id is not distinct from
                    components.rollup_from_employee_id
                and not components.is_reversal
            order by people.rollup_depth, people.credit_type, people.employee_id,
                components.component_id
            """
        ).fetchall()
        return [
            Credit(
                employee_id=r[0],
                employee_name=names.get(r[0], ""),
                credit_type=r[1],
                split_percent=r[2],
                rollup_from_employee_id=r[3],
                source_amount=r[4],
                source_currency=r[5],
                plan_id=r[6],
                component_id=r[7],
                quota_period_start=r[8],
                fx_rate=r[9],
                amount=r[10],
                currency=r[11],
            )
            for r in rows
        ]

    def _changes(
        self,
        components: str,
        spiffs: str,
        affected: set[str],
        month: str,
        variables: dict[str, str],
        credits: Sequence[Credit],
    ) -> list[KeyChange]:
        employees = _in_list(affected)
        real_credits = (
            "select * from intermediate.int_engine_component_credits "
            f"where employee_id in {employees}"
        )
        real_spiffs = (
            f"select * from intermediate.int_engine_spiff_credits where employee_id in {employees}"
        )
        assignments = (
            "(select * from intermediate.int_plan_assignment_ranges "
            f"where employee_id in {employees})"
        )
        earnings: dict[str, dict[tuple, tuple]] = {}
        spiff_earnings: dict[str, dict[tuple, Decimal]] = {}
        for side, extra_credits, extra_spiffs in (
            ("before", "", ""),
            ("after", f" union all by name select * from {components}",
             f" union all by name select * from {spiffs}"),
        ):  # fmt: skip
            renderer = ModelRenderer(
                {
                    "int_engine_component_credits": f"({real_credits}{extra_credits})",
                    "int_engine_spiff_credits": f"({real_spiffs}{extra_spiffs})",
                    "int_plan_assignment_ranges": assignments,
                },
                variables,
            )
            component_rel = renderer.relation("int_engine_component_earnings")
            spiff_rel = renderer.relation("int_engine_spiff_earnings")
            rows = self.con.execute(
                renderer.query(
                    f"""
                    select e.employee_id, e.plan_id, e.component_id, e.quota_period_start,
                        e.period, e.rate_method, e.quota, e.credit_to_date, e.attainment,
                        e.earnings_to_date, e.earnings_before
                    from {component_rel} as e
                    semi join (select distinct employee_id, plan_id, component_id,
                            quota_period_start from {components}) as k
                        using (employee_id, plan_id, component_id, quota_period_start)
                    where e.period >= {quote_literal(month)}
                    """
                )
            ).fetchall()
            earnings[side] = {(r[0], r[1], r[2], r[3], r[4]): r[5:] for r in rows}
            rows = self.con.execute(
                renderer.query(
                    f"""
                    select e.employee_id, e.plan_id, e.spiff_id, e.quota_period_start, e.period,
                        e.earnings_to_date
                    from {spiff_rel} as e
                    semi join (select distinct employee_id, plan_id, spiff_id,
                            quota_period_start from {spiffs}) as k
                        using (employee_id, plan_id, spiff_id, quota_period_start)
                    where e.period >= strftime(cast({quote_literal(month + '-01')} as date)
                        - interval 1 month, '%Y-%m')
                    """
                )
            ).fetchall()
            spiff_earnings[side] = {(r[0], r[1], r[2], r[3], r[4]): r[5] for r in rows}

        meta = self._component_meta(
            {(c.plan_id, c.component_id) for c in credits if c.plan_id and c.component_id}
        )
        currencies = {c.plan_id: c.currency for c in credits if c.plan_id}
        changes = self._component_changes(earnings, meta, currencies, month)
        changes += self._spiff_changes(spiff_earnings, spiffs, month)
        return sorted(changes, key=lambda c: (c.employee_id, c.kind, c.plan_id, c.component_id))

    def _component_meta(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
        """(plan, component) -> (cap, flat_rate, tiers)."""
        meta: dict[tuple[str, str], tuple] = {}
        for plan_id, component_id in keys:
            cap, flat = self.con.execute(
                "select cap, flat_rate from comp.plan_components "
                "where plan_id = ? and component_id = ?",
                [plan_id, component_id],
            ).fetchone()  # type: ignore[misc]
            tiers = self.con.execute(
                "select tier_number, tier_from, tier_to, rate from comp.plan_component_tiers "
                "where plan_id = ? and component_id = ? order by tier_number",
                [plan_id, component_id],
            ).fetchall()
            meta[(plan_id, component_id)] = (cap, flat, tiers)
        return meta

    def _component_changes(
        self,
        earnings: dict[str, dict[tuple, tuple]],
        meta: dict[tuple[str, str], tuple],
        currencies: dict[str, str | None],
        month: str,
    ) -> list[KeyChange]:
        keys = sorted({k[:4] for k in earnings["after"]} | {k[:4] for k in earnings["before"]})
        changes = []
        for key in keys:
            employee, plan_id, component_id, quota_start = key
            periods = sorted(
                {k[4] for side in earnings.values() for k in side if k[:4] == key}
            )
            months = []
            for period in periods:
                before = earnings["before"].get((*key, period))
                after = earnings["after"].get((*key, period))
                due = [cents(row[4]) - cents(row[5]) if row else ZERO for row in (before, after)]
                months.append(
                    MonthChange(
                        period,
                        (before[4] if before else None) or ZERO,
                        (after[4] if after else None) or ZERO,
                        due[1] - due[0],
                    )
                )
            first_before = earnings["before"].get((*key, month))
            first_after = earnings["after"].get((*key, month))
            row = first_after or first_before
            if row is None:
                continue
            rate_method, quota = row[0], row[1]
            ctd_before = first_before[2] if first_before else ZERO
            ctd_after = first_after[2] if first_after else ZERO
            cap, _flat, tiers = meta.get((plan_id, component_id), (None, None, []))
            changes.append(
                KeyChange(
                    employee_id=employee,
                    employee_name="",
                    plan_id=plan_id,
                    component_id=component_id,
                    kind="commission",
                    quota_period_start=quota_start,
                    currency=currencies.get(plan_id) or "",
                    rate_method=rate_method,
                    quota=quota,
                    cap=cap,
                    credit_before=ctd_before,
                    credit_after=ctd_after,
                    attainment_before=first_before[3] if first_before else None,
                    attainment_after=first_after[3] if first_after else None,
                    tiers=_tier_pieces(rate_method, quota, tiers, ctd_before, ctd_after),
                    months=tuple(months),
                )
            )
        return changes

    def _spiff_changes(
        self, earnings: dict[str, dict[tuple, Decimal]], spiffs: str, month: str
    ) -> list[KeyChange]:
        currency = dict(
            self.con.execute(f"select distinct plan_id, plan_currency from {spiffs}").fetchall()
        )
        keys = sorted({k[:4] for side in earnings.values() for k in side})
        changes = []
        for key in keys:
            periods = sorted({k[4] for side in earnings.values() for k in side if k[:4] == key})
            due_before_change = ZERO  # the month before the deal's is unchanged
            months = []
            for period in periods:
                before = earnings["before"].get((*key, period)) or ZERO
                after = earnings["after"].get((*key, period)) or ZERO
                due_change = cents(after) - cents(before)
                if period >= month:
                    months.append(
                        MonthChange(period, before, after, due_change - due_before_change)
                    )
                due_before_change = due_change
            if not months:
                continue
            employee, plan_id, spiff_id, start = key
            changes.append(
                KeyChange(
                    employee_id=employee,
                    employee_name="",
                    plan_id=plan_id,
                    component_id=spiff_id,
                    kind="spiff",
                    quota_period_start=start,
                    currency=currency.get(plan_id, ""),
                    rate_method=None,
                    quota=None,
                    cap=None,
                    credit_before=months[0].earnings_before,
                    credit_after=months[0].earnings_after,
                    attainment_before=None,
                    attainment_after=None,
                    tiers=(),
                    months=tuple(months),
                )
            )
        return changes

    def _notes(
        self, credits: Sequence[Credit], changes: Sequence[KeyChange], month: str
    ) -> list[str]:
        notes = []
        unvalued: dict[tuple[str, str | None], list[str]] = defaultdict(list)
        for credit in credits:
            if credit.plan_id is not None and credit.fx_rate is None:
                unvalued[(credit.source_currency, credit.currency)].append(credit.employee_id)
            elif credit.plan_id is None:
                notes.append(
                    f"{credit.employee_id} is credited ({credit.credit_type}) but holds no plan "
                    f"on {self.deal.close_date}: the credit earns nothing"
                )
            elif credit.component_id is None:
                notes.append(
                    f"{credit.employee_id}'s plan {credit.plan_id} has no component paying "
                    f"{credit.credit_type} credits of {self.deal.deal_type} deals: the credit "
                    "earns nothing"
                )
        for (source, target), employees in sorted(unvalued.items()):
            notes.append(
                f"no fx rate from {source} to {target} on or before {self.deal.close_date}: the "
                f"credits of {', '.join(dict.fromkeys(employees))} cannot be valued (a close "
                "would stop on them); deliver the rate in erp/fx_rates"
            )
        if not credits:
            notes.append(
                "nobody is credited: the owner and split holders map to no employee of the "
                "warehouse"
            )
        paid = {c.employee_id for c in changes}
        if paid:
            rows = self.con.execute(
                "select employee_id, draw_amount, currency from "
                "intermediate.int_engine_payout_inputs where period = ? and draw_amount > 0 "
                f"and employee_id in {_in_list(paid)}",
                [month],
            ).fetchall()
            for employee, amount, currency in rows:
                notes.append(
                    f"{employee} has a draw of {amount} {currency} in {month}: the payout grows "
                    "only by what the month's commission exceeds the draw (the earnings above "
                    "still count)"
                )
        return notes


def _with_name(credit: Credit, name: str) -> Credit:
    return Credit(**{**vars(credit), "employee_name": name})


def _with_key_name(change: KeyChange, name: str) -> KeyChange:
    return KeyChange(**{**vars(change), "employee_name": name})


def _inside(x: Decimal, lower: Decimal, upper: Decimal | None) -> Decimal:
    """The part of credit to date ``x`` between ``lower`` and ``upper`` (open: None)."""
    top = x if upper is None else min(x, upper)
    return max(ZERO, top - lower)


def _tier_pieces(
    rate_method: str | None,
    quota: Decimal | None,
    tiers: Sequence[tuple],
    before: Decimal,
    after: Decimal,
) -> tuple[TierPiece, ...]:
    """How the deal's credit falls into the tiers (display only; the amounts come from SQL)."""
    if rate_method not in ("marginal", "retroactive") or quota is None or not tiers:
        return ()
    pieces = []
    if rate_method == "marginal":
        for number, low, high, rate in tiers:
            lower = quota * low
            upper = quota * high if high is not None else None

            part = _inside(after, lower, upper) - _inside(before, lower, upper)
            if part:
                pieces.append(TierPiece(number, low, high, rate, part))
        return tuple(pieces)
    reached = [t for t in tiers if after >= quota * t[1]]
    if reached:
        number, low, high, rate = reached[-1]
        pieces.append(TierPiece(number, low, high, rate, after))
    return tuple(pieces)
