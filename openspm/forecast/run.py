"""``openspm forecast``: expected commission for the rest of the quota periods, and the accrual.

``run_forecast`` decides the horizon, computes the forecast (openspm.forecast.model), the
month-end accrual (commission earned on credits already known and not yet published) and the
amortization the accounting tables already scheduled (when they exist), and replaces the
``forecast.*`` tables of the workspace's warehouse with them in one transaction. It never
writes ``finance``.

Tables (docs/modelling.md, "Forecast and accrual"):

- ``forecast.by_employee``: per month, employee and currency: actual, expected, simulated mean,
  P10/P50/P90, open deals and weighted pipeline credit;
- ``forecast.by_employee_total``: the same over the whole horizon;
- ``forecast.by_month``: per month, the company in the reporting currency (rates as of the
  month's end, else the latest known), with the scheduled amortization and the accrual;
- ``forecast.accrual``: per open month and employee the journal lines (Dr commission expense,
  Cr accrued commissions: the accounts of ``accounting:`` in openspm.yaml);
- ``forecast.amortization``: the amortization scheduled by the last close, per month and
  currency (empty without the accounting tables);
- ``forecast.runs``: one row per forecast (its month, horizon, simulations, seed, deals).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb

from openspm.forecast.model import Horizon, compute_forecast
from openspm.periods import PeriodError, first_period, next_period, parse_period, period_of
from openspm.publish import closed_periods
from openspm.quality.report import Section
from openspm.warehouse import (
    DATABASE_ERRORS,
    describe,
    duckdb_file,
    missing_tables,
    quote_literal,
    read_only,
    table_exists,
)
from openspm.whatif import ModelRenderer, RenderError
from openspm.whatif.scratch import drafts_copy, publish_schema
from openspm.workspace import Workspace

SCHEMA = "forecast"
DEFAULT_SIMULATIONS = 1000
DEFAULT_SEED = 17
AMORTIZATION_SCHEDULE = "finance.amortization_schedule"
NEEDED = (
    "staging.stg_crm__deals",
    "intermediate.int_engine_component_credits",
    "intermediate.int_engine_payout_inputs",
    "marts.fct_payouts",
)
TABLES = (
    "by_employee",
    "by_employee_total",
    "by_month",
    "accrual",
    "amortization",
)
Progress = Callable[[str], None]
ACCRUAL_MONTHS_SHOWN = 3


class ForecastError(ValueError):
    """The forecast cannot run; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class ForecastRequest:
    through: str | None = None  # None: the end of the quota periods in progress
    simulations: int = DEFAULT_SIMULATIONS
    seed: int = DEFAULT_SEED


@dataclass(frozen=True)
class ForecastResult:
    as_of: str
    through: str
    currency: str
    simulations: int
    seed: int
    deals: dict[str, int]
    months: list[tuple]  # (period, actual, expected, mean, p10, p50, p90, amortization, accrual)
    accrual: list[tuple]  # (period, currency, amount, employees)
    has_accounting: bool
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        forecast = self.deals.get("forecast", 0)
        left = {k: v for k, v in self.deals.items() if k != "forecast"}
        left_text = (
            " (left out: " + ", ".join(f"{v} {k}" for k, v in sorted(left.items())) + ")"
            if left
            else ""
        )
        runs = (
            f"{self.simulations} simulation runs (seed {self.seed})"
            if self.simulations
            else "no simulation"
        )
        return (
            f"forecast as of {self.as_of} through {self.through}: {forecast} open deal(s)"
            f"{left_text}, {runs} in {self.seconds:.1f} s; tables: {SCHEMA}.*; finance was not "
            "touched"
        )

    def text(self) -> str:
        """The company view for a terminal (Markdown tables)."""
        lines = [
            f"# Commission forecast as of {self.as_of} through {self.through} ({self.currency})",
            "",
            "| Month | Actual | Expected | Simulated mean | P10 | P50 | P90 | Amortization "
            "scheduled | Accrual |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for period, actual, expected, mean, p10, p50, p90, amortization, accrual in self.months:
            lines.append(
                f"| {period} | {_m(actual)} | {_m(expected)} | {_m(mean)} | {_m(p10)} | "
                f"{_m(p50)} | {_m(p90)} | {_m(amortization) if self.has_accounting else 'n/a'} "
                f"| {_m(accrual)} |"
            )
        if self.accrual:
            periods = sorted({row[0] for row in self.accrual})
            shown = periods[-ACCRUAL_MONTHS_SHOWN:]
            lines += ["", "## Accrual (earned on known credits, not yet published)", ""]
            lines += ["| Month | Currency | Amount | Employees |", "|---|---|---:|---:|"]
            lines += [
                f"| {p} | {c} | {_m(a)} | {n} |" for p, c, a, n in self.accrual if p in shown
            ]
            if len(periods) > len(shown):
                lines.append(
                    f"\n{len(periods) - len(shown)} earlier open month(s) in {SCHEMA}.accrual "
                    "(close them in order)."
                )
        if self.notes:
            lines += ["", *[f"- {note}" for note in self.notes]]
        return "\n".join(lines)


def _m(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def horizon_of(
    ws: Workspace, connection: duckdb.DuckDBPyConnection, through: str | None
) -> Horizon:
    """The forecast's months: from the later of the first open month and the last drafted
    month, through ``through`` (default: the end of the quota periods in progress then)."""
    missing = missing_tables(connection, NEEDED)
    if missing:
        raise ForecastError(
            f"the warehouse has no drafts yet ({', '.join(missing)} missing): run "
            "`openspm run` first"
        )
    try:
        first = first_period(ws, connection)
    except PeriodError as exc:
        raise ForecastError(str(exc)) from None
    closed = closed_periods(connection)
    first_open = next_period(max(closed)) if closed else first
    (drafted,) = connection.execute("select max(period) from marts.fct_payouts").fetchone()  # type: ignore[misc]
    start = max(first_open, str(drafted)) if drafted else first_open
    if through is None:
        month_start = date.fromisoformat(f"{start}-01")
        month_end = date.fromisoformat(f"{next_period(start)}-01") - timedelta(days=1)
        (end,) = connection.execute(
            "select max(period_end) from comp.quota_periods where source = 'component' "
            "and period_start <= ? and period_end >= ?",
            [month_end, month_start],
        ).fetchone()  # type: ignore[misc]
        through = period_of(end) if end else start
    through = parse_period(through, "--through")
    if through < start:
        raise ForecastError(
            f"--through {through} is before the forecast's first month {start} (the first "
            "open month, or the last month with drafts if later)"
        )
    return Horizon(start, through)


def run_forecast(
    ws: Workspace,
    connection: duckdb.DuckDBPyConnection,
    request: ForecastRequest,
    progress: Progress | None = None,
    *,
    write: bool = True,
) -> ForecastResult:
    """Compute the forecast and replace ``forecast.*`` (``write``; the connection then writes),
    else leave it in temporary tables of the connection (a read-only one will do)."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    if request.simulations < 0 or request.simulations > 100_000:
        raise ForecastError(f"--simulations {request.simulations}: give 0 to 100000 runs")
    connection.execute("set enable_progress_bar = false")
    horizon = horizon_of(ws, connection, request.through)
    say(f"forecast {horizon.first}..{horizon.through}: crediting the open deals")
    try:
        deals = compute_forecast(
            connection, horizon, simulations=request.simulations, seed=request.seed
        )
        say("combining actuals, expectation and simulation runs")
        _assemble(connection, horizon, ws.settings.reporting_currency)
        has_accounting = _amortization(connection, horizon, ws.settings.reporting_currency)
        _accrual(connection, ws, horizon)
        _by_month(connection, horizon, ws.settings.reporting_currency)
    except RenderError as exc:
        raise ForecastError(str(exc)) from None
    if write:
        _write(connection, horizon, request, deals, has_accounting)
        result = read_result(connection, ws)
        assert result is not None  # just written
    else:
        result = _read(
            connection, ws, "fc_by_month", "fc_accrual", horizon, request, deals, has_accounting
        )
    return ForecastResult(**{**vars(result), "seconds": time.perf_counter() - started})


def _fx(macros: ModelRenderer, requests: str) -> str:
    return macros.macro("fx_rates_asof", requests, "staging.stg_erp__fx_rates")


def _assemble(connection: duckdb.DuckDBPyConnection, horizon: Horizon, currency: str) -> None:
    macros = ModelRenderer()
    connection.execute(
        """
        create or replace temp table fc_actual_spiffs as
        select spiffs.employee_id, spiffs.plan_currency as currency, months.month_number,
            sum(spiffs.amount) as amount
        from intermediate.int_engine_spiff_credits as spiffs
        inner join fc_months as months
            on spiffs.event_date between months.month_start and months.month_end
        where months.month_number > 0
        group by all
        """
    )
    connection.execute(
        """
        create or replace temp table fc_expected_spiffs as
        select spiffs.employee_id, spiffs.currency, months.month_number,
            sum(spiffs.amount * open_deals.probability * cast(0.01 as decimal(3, 2))) as amount,
            count(distinct spiffs.deal_id) as deals
        from fc_spiffs as spiffs
        inner join fc_open_deals as open_deals using (deal_id)
        inner join fc_months as months
            on spiffs.event_date between months.month_start and months.month_end
        group by all
        """
    )
    # per employee, currency and month: actual and expected
    connection.execute(
        """
        create or replace temp table fc_employee_months as
        with lines as (
            select lines.employee_id, keys.currency, lines.month_number, lines.period,
                sum(lines.line) as actual, sum(lines.expected_added) as expected_added
            from fc_key_lines as lines
            inner join fc_keys as keys
                using (employee_id, plan_id, component_id, quota_period_start)
            group by all
        ),
        cells as (
            select employee_id, currency, month_number from lines
            union select employee_id, currency, month_number from fc_actual_spiffs
            union select employee_id, currency, month_number from fc_expected_spiffs
        ),
        pipeline as (
            select buckets.employee_id, keys.currency, buckets.month_number,
                count(distinct buckets.deal_id) as open_deals,
                sum(buckets.amount * buckets.probability * cast(0.01 as decimal(3, 2)))
                    as weighted_pipeline
            from fc_deal_buckets as buckets
            inner join fc_keys as keys
                using (employee_id, plan_id, component_id, quota_period_start)
            group by all
        )
        select cells.employee_id, cells.currency, cells.month_number, months.period,
            cast(coalesce(lines.actual, 0) + coalesce(round(actual_spiffs.amount, 2), 0)
                as decimal(18, 2)) as actual,
            cast(coalesce(lines.actual, 0) + coalesce(round(actual_spiffs.amount, 2), 0)
                + round(coalesce(lines.expected_added, 0)
                        + coalesce(expected_spiffs.amount, 0), 2)
                as decimal(18, 2)) as expected,
            coalesce(pipeline.open_deals, 0) as open_deals,
            cast(coalesce(pipeline.weighted_pipeline, 0) as decimal(18, 2))
                as weighted_pipeline
        from cells
        inner join fc_months as months using (month_number)
        left join lines using (employee_id, currency, month_number)
        left join fc_actual_spiffs as actual_spiffs using (employee_id, currency, month_number)
        left join fc_expected_spiffs as expected_spiffs
            using (employee_id, currency, month_number)
        left join pipeline using (employee_id, currency, month_number)
        """
    )
    # per run: what the won deals add per employee, currency and month
    connection.execute(
        """
        create or replace temp table fc_run_added as
        select run, employee_id, currency, month_number, sum(added) as added
        from (
            select lines.run, lines.employee_id, keys.currency, lines.month_number,
                lines.added
            from fc_sim_lines as lines
            inner join fc_keys as keys
                using (employee_id, plan_id, component_id, quota_period_start)
            union all
            select run, employee_id, currency, month_number, round(amount, 2)
            from fc_sim_spiffs
        )
        group by all
        """
    )
    connection.execute(
        """
        create or replace temp table fc_employee_runs as
        with cells as (select distinct employee_id, currency, month_number from fc_run_added),
        runs as (select run from fc_runs)
        select runs.run, cells.employee_id, cells.currency, cells.month_number,
            coalesce(added.added, 0) as added
        from runs cross join cells
        left join fc_run_added as added
            on added.run = runs.run and added.employee_id = cells.employee_id
            and added.currency = cells.currency and added.month_number = cells.month_number
        """
    )
    connection.execute(
        """
        create or replace temp table fc_by_employee as
        with stats as (
            select employee_id, currency, month_number,
                avg(added) as mean_added,
                quantile_cont(added, 0.10) as p10_added,
                quantile_cont(added, 0.50) as p50_added,
                quantile_cont(added, 0.90) as p90_added
            from fc_employee_runs group by all
        )
        select months.period, months.employee_id, months.currency, months.actual,
            months.expected,
            cast(months.actual + coalesce(stats.mean_added, 0) as decimal(18, 2)) as sim_mean,
            cast(months.actual + coalesce(stats.p10_added, 0) as decimal(18, 2)) as p10,
            cast(months.actual + coalesce(stats.p50_added, 0) as decimal(18, 2)) as p50,
            cast(months.actual + coalesce(stats.p90_added, 0) as decimal(18, 2)) as p90,
            months.open_deals, months.weighted_pipeline
        from fc_employee_months as months
        left join stats using (employee_id, currency, month_number)
        order by months.period, months.employee_id
        """
    )
    connection.execute(
        """
        create or replace temp table fc_by_employee_total as
        with runs as (
            select run, employee_id, currency, sum(added) as added
            from fc_employee_runs group by all
        ),
        stats as (
            select employee_id, currency, avg(added) as mean_added,
                quantile_cont(added, 0.10) as p10_added,
                quantile_cont(added, 0.50) as p50_added,
                quantile_cont(added, 0.90) as p90_added
            from runs group by all
        ),
        totals as (
            select employee_id, currency, sum(actual) as actual, sum(expected) as expected,
                sum(weighted_pipeline) as weighted_pipeline
            from fc_employee_months group by all
        ),
        deals as (
            select buckets.employee_id, keys.currency,
                count(distinct buckets.deal_id) as open_deals
            from fc_deal_buckets as buckets
            inner join fc_keys as keys
                using (employee_id, plan_id, component_id, quota_period_start)
            group by all
        )
        select totals.employee_id, totals.currency,
            cast(totals.actual as decimal(18, 2)) as actual,
            cast(totals.expected as decimal(18, 2)) as expected,
            cast(totals.actual + coalesce(stats.mean_added, 0) as decimal(18, 2)) as sim_mean,
            cast(totals.actual + coalesce(stats.p10_added, 0) as decimal(18, 2)) as p10,
            cast(totals.actual + coalesce(stats.p50_added, 0) as decimal(18, 2)) as p50,
            cast(totals.actual + coalesce(stats.p90_added, 0) as decimal(18, 2)) as p90,
            coalesce(deals.open_deals, 0) as open_deals,
            cast(totals.weighted_pipeline as decimal(18, 2)) as weighted_pipeline
        from totals
        left join stats using (employee_id, currency)
        left join deals using (employee_id, currency)
        order by totals.employee_id
        """
    )
    # the company per month in the reporting currency
    rates = _fx(macros, "requests")
    connection.execute(
        f"""
        create or replace temp table fc_rates as
        with requests as (
            select distinct currency as from_currency, {quote_literal(currency)} as to_currency,
                months.month_end as as_of_date
            from (select distinct currency from fc_employee_months) as currencies
            cross join fc_months as months
            where months.month_number > 0
        )
        {rates}
        """
    )


def _amortization(
    connection: duckdb.DuckDBPyConnection, horizon: Horizon, currency: str
) -> bool:
    """``fc_amortization``: what the last close scheduled per month (False: no such table)."""
    connection.execute(
        "create or replace temp table fc_amortization (schedule_period varchar, currency "
        "varchar, amount decimal(18, 2), scheduled_by varchar)"
    )
    if not table_exists(connection, AMORTIZATION_SCHEDULE):
        return False
    connection.execute(
        f"""
        insert into fc_amortization
        select schedule_period, currency, sum(amount), any_value(period)
        from {AMORTIZATION_SCHEDULE}
        where period = (select max(period) from {AMORTIZATION_SCHEDULE})
            and schedule_period between ? and ?
        group by schedule_period, currency
        """,
        [horizon.first, horizon.through],
    )
    del currency
    return True


def _accrual(connection: duckdb.DuckDBPyConnection, ws: Workspace, horizon: Horizon) -> None:
    """``fc_accrual``: per open month up to the first forecast month, per employee, what the
    drafts pay as commission and SPIFF (credits known today, converted into the payout
    currency and rounded per line as the close will), as journal lines."""
    accounts = ws.settings.accounting
    connection.execute(
        f"""
        create or replace temp table fc_accrual as
        with earned as (
            select period, employee_id, currency, commission, spiff,
                cast(commission + spiff as decimal(18, 2)) as amount
            from intermediate.int_engine_payout_inputs
            where not is_published and period <= {quote_literal(horizon.first)}
                and (commission <> 0 or spiff <> 0)
        )
        select period, employee_id, currency, commission, spiff, amount,
            {quote_literal(accounts.commission_expense)} as account,
            greatest(amount, 0) as debit, greatest(-amount, 0) as credit, 'expense' as side
        from earned
        union all
        select period, employee_id, currency, commission, spiff, amount,
            {quote_literal(accounts.accrued_commissions)} as account,
            greatest(-amount, 0) as debit, greatest(amount, 0) as credit, 'liability' as side
        from earned
        order by period, employee_id, side
        """
    )


def _by_month(connection: duckdb.DuckDBPyConnection, horizon: Horizon, currency: str) -> None:
    macros = ModelRenderer()
    convert = macros.macro("fx_convert", "cast(x.amount as decimal(38, 14))", "rates.fx_rate")
    connection.execute(
        f"""
        create or replace temp table fc_by_month as
        with actual as (
            select months.period, months.month_number, months.month_end, cells.currency,
                cells.actual as amount, cells.expected
            from fc_employee_months as cells
            inner join fc_months as months using (month_number)
        ),
        converted as (
            select x.period, x.month_number,
                sum({convert}) as actual,
                sum({convert.replace("x.amount", "x.expected")}) as expected,
                count(*) filter (where rates.fx_rate is null) as missing_rates
            from actual as x
            left join fc_rates as rates
                on rates.from_currency = x.currency and rates.as_of_date = x.month_end
            group by all
        ),
        runs as (
            select runs.run, months.period,
                sum({convert.replace("x.amount", "runs.added")}) as added
            from fc_employee_runs as runs
            inner join fc_months as months using (month_number)
            left join fc_rates as rates
                on rates.from_currency = runs.currency and rates.as_of_date = months.month_end
            group by all
        ),
        all_runs as (
            select numbers.run, months.period, coalesce(runs.added, 0) as added
            from fc_runs as numbers
            cross join (select period from fc_months where month_number > 0) as months
            left join runs using (run, period)
        ),
        stats as (
            select period, avg(added) as mean_added,
                quantile_cont(added, 0.10) as p10_added,
                quantile_cont(added, 0.50) as p50_added,
                quantile_cont(added, 0.90) as p90_added
            from all_runs group by all
        ),
        amortization as (
            select amortization.schedule_period as period,
                sum({convert.replace("x.amount", "amortization.amount")}) as amount
            from fc_amortization as amortization
            inner join fc_months as months on months.period = amortization.schedule_period
            left join fc_rates as rates
                on rates.from_currency = amortization.currency
                and rates.as_of_date = months.month_end
            group by all
        ),
        accrual as (
            select accrual.period,
                sum({convert.replace("x.amount", "accrual.credit - accrual.debit")}) as amount
            from fc_accrual as accrual
            inner join fc_months as months on months.period = accrual.period
            left join fc_rates as rates
                on rates.from_currency = accrual.currency and rates.as_of_date = months.month_end
            where accrual.side = 'liability'
            group by all
        )
        select months.period, {quote_literal(currency)} as currency,
            cast(coalesce(converted.actual, 0) as decimal(18, 2)) as actual,
            cast(coalesce(converted.expected, 0) as decimal(18, 2)) as expected,
            cast(coalesce(converted.actual, 0) + coalesce(stats.mean_added, 0)
                as decimal(18, 2)) as sim_mean,
            cast(coalesce(converted.actual, 0) + coalesce(stats.p10_added, 0)
                as decimal(18, 2)) as p10,
            cast(coalesce(converted.actual, 0) + coalesce(stats.p50_added, 0)
                as decimal(18, 2)) as p50,
            cast(coalesce(converted.actual, 0) + coalesce(stats.p90_added, 0)
                as decimal(18, 2)) as p90,
            cast(amortization.amount as decimal(18, 2)) as amortization,
            cast(accrual.amount as decimal(18, 2)) as accrual,
            coalesce(converted.missing_rates, 0) as missing_rates
        from fc_months as months
        left join converted using (period)
        left join stats using (period)
        left join amortization using (period)
        left join accrual using (period)
        where months.month_number > 0
        order by months.period
        """
    )
    del horizon


def read_result(connection: duckdb.DuckDBPyConnection, ws: Workspace) -> ForecastResult | None:
    """The forecast stored in ``forecast.*`` (None: no forecast was computed yet)."""
    if not table_exists(connection, f"{SCHEMA}.runs"):
        return None
    run = connection.execute(
        f"select as_of, through, simulations, seed, open_deals, left_out, has_accounting "
        f"from {SCHEMA}.runs order by computed_at desc limit 1"
    ).fetchone()
    if run is None:
        return None
    as_of, through, simulations, seed, forecast, left_out, has_accounting = run
    deals = {"forecast": int(forecast)}
    for part in filter(None, (left_out or "").split(", ")):
        count, _, reason = part.partition(" ")
        deals[reason] = int(count)
    return _read(
        connection,
        ws,
        f"{SCHEMA}.by_month",
        f"{SCHEMA}.accrual",
        Horizon(as_of, through),
        ForecastRequest(through, simulations, seed),
        deals,
        bool(has_accounting),
    )


def _read(
    connection: duckdb.DuckDBPyConnection,
    ws: Workspace,
    by_month: str,
    accrual_table: str,
    horizon: Horizon,
    request: ForecastRequest,
    deals: dict[str, int],
    has_accounting: bool,
) -> ForecastResult:
    """A ForecastResult from the company months and the accrual (stored or temporary)."""
    months = connection.execute(
        f"select period, actual, expected, sim_mean, p10, p50, p90, amortization, accrual, "
        f"missing_rates from {by_month} order by period"
    ).fetchall()
    if not request.simulations:  # no runs: no statistics (the temporary table has actuals)
        months = [(*m[:3], None, None, None, None, *m[7:]) for m in months]
    accrual = connection.execute(
        f"select period, currency, sum(credit - debit), count(distinct employee_id) "
        f"from {accrual_table} where side = 'liability' group by period, currency order by 1, 2"
    ).fetchall()
    notes = []
    if not has_accounting:
        notes.append(
            "no accounting tables (finance.amortization_schedule): the amortization already "
            "scheduled is not shown"
        )
    missing = sum(int(row[9] or 0) for row in months)
    if missing:
        notes.append(
            f"{missing} amount(s) have no fx rate into {ws.settings.reporting_currency}: the "
            "company totals leave them out; deliver the rates (erp/fx_rates)"
        )
    return ForecastResult(
        as_of=horizon.first,
        through=horizon.through,
        currency=ws.settings.reporting_currency,
        simulations=request.simulations,
        seed=request.seed,
        deals=deals,
        months=[tuple(r[:9]) for r in months],
        accrual=[tuple(r) for r in accrual],
        has_accounting=has_accounting,
        notes=notes,
    )


def _write(
    connection: duckdb.DuckDBPyConnection,
    horizon: Horizon,
    request: ForecastRequest,
    deals: dict[str, int],
    has_accounting: bool,
) -> None:
    """Replace ``forecast.*`` with this forecast's rows, in one transaction."""
    stamp = datetime.now(UTC).replace(tzinfo=None)
    as_of = quote_literal(horizon.first)
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {SCHEMA}")
        for table in TABLES:
            simulated = table in ("by_employee", "by_employee_total", "by_month")
            unsimulated = (
                " replace ("
                + ", ".join(
                    f"cast(null as decimal(18, 2)) as {c}"
                    for c in ("sim_mean", "p10", "p50", "p90")
                )
                + ")"
                if simulated and request.simulations == 0
                else ""
            )
            connection.execute(
                f"create or replace table {SCHEMA}.{table} as "
                f"select {as_of} as as_of, *{unsimulated} from fc_{table}"
            )
        connection.execute(
            f"create table if not exists {SCHEMA}.runs (as_of varchar, through varchar, "
            "simulations integer, seed bigint, open_deals integer, left_out varchar, "
            "has_accounting boolean, computed_at timestamp)"
        )
        left_out = ", ".join(f"{v} {k}" for k, v in sorted(deals.items()) if k != "forecast")
        connection.execute(
            f"insert into {SCHEMA}.runs values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                horizon.first,
                horizon.through,
                request.simulations,
                request.seed,
                deals.get("forecast", 0),
                left_out,
                has_accounting,
                stamp,
            ],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise


def forecast_workspace(
    ws: Workspace, request: ForecastRequest, progress: Progress | None = None
) -> ForecastResult:
    """``run_forecast`` on the workspace's warehouse, replacing its ``forecast.*``. On a server
    warehouse the forecast runs on a scratch DuckDB copy of the drafts (and of
    ``forecast.runs``), whose ``forecast.*`` then replace the server's (openspm.whatif.scratch)."""
    if ws.engine == "duckdb":
        with duckdb_file(str(ws.warehouse_path)) as connection:
            return run_forecast(ws, connection, request, progress)
    say = progress or (lambda _: None)
    scratch = ws.state_dir / f"forecast-{uuid.uuid4().hex[:10]}"
    target = scratch / "drafts.duckdb"
    try:
        say(f"copying the drafts from the {ws.engine} warehouse to {target}")
        drafts_copy(ws, target, f"{SCHEMA}.runs")
        with duckdb_file(str(target)) as connection:
            result = run_forecast(ws, connection, request, progress)
        say(f"writing {SCHEMA}.* into the {ws.engine} warehouse")
        publish_schema(ws, target, SCHEMA)
    except DATABASE_ERRORS as exc:
        raise ForecastError(
            f"the forecast on the warehouse {describe(ws)} failed: "
            f"{' '.join(str(exc).split())[:300]}"
        ) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def latest_forecast(ws: Workspace) -> ForecastResult | None:
    """The forecast stored in the workspace's warehouse, read-only (None: none yet)."""
    with read_only(ws) as connection:
        return read_result(connection, ws) if connection is not None else None


def outlook_section(
    connection: duckdb.DuckDBPyConnection | None, ws: Workspace, period: str
) -> list[Section]:
    """The close report's commission outlook after ``period`` closed: the expectation and the
    accrual computed now, read-only and without the simulation (``openspm forecast`` runs it
    and stores the tables); a forecast that cannot be made is one line saying why."""
    if connection is None or missing_tables(connection, NEEDED):
        return []  # no drafts of the engine (nothing to forecast from)
    if connection.engine != "duckdb":
        return [Section("Commission outlook", (
            f"not computed in the close report on a {connection.engine} warehouse (it would "
            "copy the drafts to a scratch DuckDB file): run `openspm forecast` "
            "(docs/modelling.md)",))]  # fmt: skip
    try:
        result = run_forecast(ws, connection, ForecastRequest(simulations=0), write=False)
    except (ForecastError, duckdb.Error) as exc:
        cause = " ".join(str(exc).split())[:300]
        return [Section("Commission outlook", (f"not computed: {cause}",))]
    if result.as_of <= period:
        return []
    lines = [
        f"{p}: actual {_m(actual)}, expected {_m(expected)}"
        + (f", simulated P10 {_m(p10)} / P50 {_m(p50)} / P90 {_m(p90)}" if p10 is not None else "")
        + (f", amortization scheduled {_m(amortization)}" if amortization else "")
        + (f", accrual {_m(accrual)}" if accrual else "")
        + f" {result.currency}"
        for p, actual, expected, _mean, p10, p50, p90, amortization, accrual in result.months
        if any((actual, expected, p90, amortization, accrual))
    ] or ["no commission is expected in these months from the credits and the open pipeline"]
    lines.append(
        f"{result.deals.get('forecast', 0)} open deal(s). Expected = actual + each open deal's "
        "probability x what it adds on its own; P10/P50/P90 of a simulation of wins and losses, "
        f"per employee, and the accrual's journal lines: `openspm forecast` ({SCHEMA}.*)."
    )
    lines += result.notes
    return [Section(f"Commission outlook ({result.as_of} to {result.through})", tuple(lines))]
