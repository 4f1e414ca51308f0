"""The commission forecast: open pipeline, plans and quotas -> expected commission by month.

``compute_forecast`` works in temporary tables of a connection to the warehouse and leaves the
results in temporary tables ``fc_out_*`` (``openspm.forecast.tables`` writes them):

1. **Open deals** (``staging.stg_crm__deals``): ``is_closed`` false, or, where the CRM does not
   deliver ``is_closed``, not won with a probability strictly between 0 and 100. A deal needs a
   probability (0-100), a close date, an amount and a currency; ``forecast_category`` Omitted
   leaves it out. A close date before the forecast's first month counts in that month (a
   slipped deal); a deal expected after the horizon is left out.
2. **Their credits**, by the engine's own crediting models rendered over the open deals as if
   won on their expected date (openspm.whatif): owner or splits, overlays, roll-ups along the
   hierarchy as of that date, plan, component, quota period, fx, and SPIFF shares.
3. For every key (employee, plan, component, quota period) the **actual** credit to date at
   each month's end (credits known today) and the earnings by the tier arithmetic of the
   engine's macros (``engine_tier_earnings``, ``engine_cap``); a month's commission is the
   change of the earnings to date rounded to cents, as the settlement computes it.
4. **Expected** (probability-weighted): the actual commission plus, for every open deal, its
   probability times what it adds on its own on top of the actuals (tiers it crosses, a cap it
   reaches, later months whose credits then earn another rate), plus probability x SPIFF share.
5. A **seeded simulation**: in each of ``simulations`` runs every open deal is won with its
   probability (a deal's credits win or lose together; the draw is DuckDB's hash of seed, run
   and deal, so the same seed gives the same runs, and one deal's draws do not depend on the
   others), and the commission is computed with every won deal at once. Its mean, P10, P50
   and P90 per employee and month and for the company: where won deals cross tiers together,
   the simulation's mean is above the expected amount. ``simulations`` 0 skips it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from openspm.periods import month_bounds, period_range, previous_period
from openspm.whatif import ModelRenderer

OPEN_DEALS = "fc_open_deals"


@dataclass(frozen=True)
class Horizon:
    """The months forecast: ``first`` .. ``through`` (``baseline``: the month before first)."""

    first: str
    through: str

    @property
    def baseline(self) -> str:
        return previous_period(self.first)

    @property
    def months(self) -> list[str]:
        return period_range(self.baseline, self.through)


def _months_table(connection: duckdb.DuckDBPyConnection, horizon: Horizon) -> None:
    rows = []
    for number, period in enumerate(horizon.months):
        start, end = month_bounds(period)
        rows.append((number, period, start, end))
    connection.execute(
        "create or replace temp table fc_months (month_number integer, period varchar, "
        "month_start date, month_end date)"
    )
    connection.executemany("insert into fc_months values (?, ?, ?, ?)", rows)


def open_deals(connection: duckdb.DuckDBPyConnection, horizon: Horizon) -> dict[str, int]:
    """``fc_open_deals``: the open deals forecast, with their expected date; counts left out."""
    first, _ = month_bounds(horizon.first)
    _, last = month_bounds(horizon.through)
    connection.execute(
        f"""
        create or replace temp table fc_candidates as
        select deal_id, probability, forecast_category, close_date, amount, currency,
            greatest(close_date, cast('{first}' as date)) as expected_date,
            case
                when close_date is null or amount is null or currency is null then 'incomplete'
                when probability is null then 'no probability'
                when lower(coalesce(forecast_category, '')) = 'omitted' then 'omitted'
                when probability <= 0 then 'probability 0'
                when greatest(close_date, cast('{first}' as date)) > cast('{last}' as date)
                    then 'after the horizon'
            end as left_out
        from staging.stg_crm__deals
        where coalesce(is_closed = false,
                       not coalesce(is_won, false) and probability > 0 and probability < 100)
        """
    )
    connection.execute(
        f"create or replace temp table {OPEN_DEALS} as "
        "select * exclude (left_out) from fc_candidates where left_out is null"
    )
    counts = dict(
        connection.execute(
            "select coalesce(left_out, 'forecast'), count(*) from fc_candidates group by all"
        ).fetchall()
    )
    return {str(k): int(v) for k, v in counts.items()}


def pipeline_credits(connection: duckdb.DuckDBPyConnection, horizon: Horizon) -> None:
    """``fc_credits`` and ``fc_spiffs``: what the open deals would credit, won as expected."""
    deals = (
        "(select deals.* replace (true as is_won, open_deals.expected_date as close_date, "
        "cast(null as date) as cancelled_date) "
        f"from staging.stg_crm__deals as deals inner join {OPEN_DEALS} as open_deals "
        "using (deal_id))"
    )
    renderer = ModelRenderer(
        {"stg_crm__deals": deals},
        {"OPENSPM_FIRST_PERIOD": horizon.baseline, "OPENSPM_THROUGH_PERIOD": horizon.through},
    )
    components = renderer.relation("int_engine_component_credits")
    spiffs = renderer.relation("int_engine_spiff_credits")
    connection.execute(
        "create or replace temp table fc_credits as "
        + renderer.query(
            "select credits.deal_id, credits.employee_id, credits.plan_id, credits.component_id, "
            "credits.quota_period_start, credits.credit_date, credits.amount, "
            f"credits.currency from {components} as credits where not credits.is_reversal"
        )
    )
    connection.execute(
        "create or replace temp table fc_spiffs as "
        + renderer.query(
            "select deal_id, employee_id, plan_id, spiff_id, quota_period_start, event_date, "
            f"amount, plan_currency as currency from {spiffs} where not is_reversal"
        )
    )


def _earnings_sql(macros: ModelRenderer, grid: str, keys: tuple[str, ...]) -> str:
    """Earnings to date of every row of ``grid`` (columns ``keys``, ctd, plan, component...)."""
    group = ", ".join(f"with_before.{k}" for k in keys)
    tiered = macros.macro("engine_tier_earnings", "with_before.ctd")
    capped = macros.macro(
        "engine_cap", "with_before.flat_rate * with_before.ctd", "tiered.earnings", "with_before"
    )
    on = " and ".join(f"with_before.{k} is not distinct from tiered.{k}" for k in keys)
    return f"""
        with with_before as (
            select grid.*, components.rate_method, components.flat_rate, components.cap,
                quotas.quota
            from {grid} as grid
            inner join comp.plan_components as components
                using (plan_id, component_id)
            left join comp.quotas as quotas
                on quotas.employee_id = grid.employee_id
                and quotas.plan_id = grid.plan_id
                and quotas.component_id = grid.component_id
                and quotas.period_start = grid.quota_period_start
        ),
        tiered as (
            select {group}, {tiered} as earnings
            from with_before
            inner join comp.plan_component_tiers as tiers
                on tiers.plan_id = with_before.plan_id
                and tiers.component_id = with_before.component_id
            where with_before.rate_method in ('marginal', 'retroactive')
            group by {group}, with_before.ctd, with_before.rate_method, with_before.quota
        )
        select with_before.*,
            cast(round(coalesce({capped}, 0), 2) as decimal(18, 2)) as due
        from with_before
        left join tiered on {on}
    """


KEY = ("employee_id", "plan_id", "component_id", "quota_period_start")


def compute_forecast(
    connection: duckdb.DuckDBPyConnection,
    horizon: Horizon,
    *,
    simulations: int,
    seed: int,
) -> dict[str, int]:
    """Build ``fc_out_lines`` (per scenario row) and the simulation tables; left-out counts."""
    counts = open_deals(connection, horizon)
    pipeline_credits(connection, horizon)
    _months_table(connection, horizon)
    first, _ = month_bounds(horizon.first)
    _, last = month_bounds(horizon.through)
    keys = ", ".join(KEY)
    # every key in a quota period not over before the horizon, with its quota period's end
    connection.execute(
        f"""
        create or replace temp table fc_keys as
        with candidates as (
            select distinct {keys} from intermediate.int_engine_component_credits
            where credit_date <= cast('{last}' as date)
            union
            select distinct {keys} from fc_credits
        )
        select candidates.*, periods.period_end as quota_period_end, plans.currency
        from candidates
        inner join comp.quota_periods as periods
            on periods.plan_id = candidates.plan_id
            and periods.component_id = candidates.component_id
            and periods.period_start = candidates.quota_period_start
            and periods.source = 'component'
        inner join comp.plans as plans on plans.plan_id = candidates.plan_id
        where periods.period_end >= cast('{first}' as date) - interval 1 month
            and periods.period_start <= cast('{last}' as date)
        """
    )
    baseline_end = month_bounds(horizon.baseline)[1]
    # actual credits per key and month bucket (0: up to the baseline month's end)
    connection.execute(
        f"""
        create or replace temp table fc_actual_buckets as
        select {", ".join(f"credits.{k}" for k in KEY)},
            coalesce(months.month_number, 0) as month_number, sum(credits.amount) as amount
        from intermediate.int_engine_component_credits as credits
        semi join fc_keys using ({keys})
        left join fc_months as months
            on credits.credit_date between months.month_start and months.month_end
            and months.month_number > 0
        where credits.credit_date <= cast('{last}' as date)
            and (credits.credit_date <= cast('{baseline_end}' as date)
                 or months.month_number is not null)
        group by all
        """
    )
    connection.execute(
        f"""
        create or replace temp table fc_actual_ctd as
        select fc_keys.{", fc_keys.".join(KEY)}, months.month_number, months.period,
            cast(coalesce(sum(buckets.amount) over (
                partition by {", ".join(f"fc_keys.{k}" for k in KEY)}
                order by months.month_number
                rows between unbounded preceding and current row), 0)
                as decimal(38, 14)) as ctd
        from fc_keys
        cross join fc_months as months
        left join fc_actual_buckets as buckets
            on buckets.month_number = months.month_number
            and {" and ".join(f"buckets.{k} = fc_keys.{k}" for k in KEY)}
        """
    )
    # pipeline credits per deal, key and month bucket (>= 1: the horizon)
    connection.execute(
        f"""
        create or replace temp table fc_deal_buckets as
        select credits.deal_id, {", ".join(f"credits.{k}" for k in KEY)},
            months.month_number, sum(credits.amount) as amount,
            any_value(open_deals.probability) as probability
        from fc_credits as credits
        inner join {OPEN_DEALS} as open_deals using (deal_id)
        inner join fc_months as months
            on credits.credit_date between months.month_start and months.month_end
        semi join fc_keys using ({keys})
        group by all
        """
    )
    macros = ModelRenderer()
    # actual: every key; one row per deal and key: the actuals plus that deal alone
    connection.execute(
        """
        create or replace temp table fc_grid as
        select cast(null as varchar) as deal_id, * from fc_actual_ctd
        union all
        select deals.deal_id, actual.employee_id, actual.plan_id, actual.component_id,
            actual.quota_period_start, actual.month_number, actual.period,
            cast(actual.ctd + case when actual.month_number >= deals.month_number
                then deals.amount else 0 end as decimal(38, 14)) as ctd
        from fc_deal_buckets as deals
        inner join fc_actual_ctd as actual
            using (employee_id, plan_id, component_id, quota_period_start)
        """
    )
    connection.execute(
        "create or replace temp table fc_grid_due as "
        + _earnings_sql(macros, "fc_grid", ("deal_id", *KEY, "month_number"))
    )
    connection.execute(
        f"""
        create or replace temp table fc_grid_lines as
        select *, due - lag(due) over (
            partition by deal_id, {keys} order by month_number) as line
        from fc_grid_due
        """
    )
    # expected per key and month = actual + sum of probability x (deal's line - actual line)
    connection.execute(
        f"""
        create or replace temp table fc_key_lines as
        with actual as (
            select {keys}, month_number, period, line from fc_grid_lines
            where deal_id is null and month_number > 0
        ),
        added as (
            select deal.{", deal.".join(KEY)}, deal.month_number,
                sum(deal.line - actual.line) as added,
                sum((deal.line - actual.line) * buckets.probability
                    * cast(0.01 as decimal(3, 2))) as expected_added
            from fc_grid_lines as deal
            inner join actual using ({keys}, month_number)
            inner join (select distinct deal_id, {keys}, probability from fc_deal_buckets)
                as buckets using (deal_id, {keys})
            where deal.deal_id is not null
            group by all
        )
        select actual.*, coalesce(added.expected_added, 0) as expected_added,
            added.month_number is not null as has_pipeline
        from actual left join added using ({keys}, month_number)
        """
    )
    _simulate(connection, macros, simulations, seed)  # 0 runs: empty tables
    return counts


def _simulate(
    connection: duckdb.DuckDBPyConnection, macros: ModelRenderer, simulations: int, seed: int
) -> None:
    """``fc_sim_lines``: per run, pipeline key and month, the commission minus the actual."""
    keys = ", ".join(KEY)
    connection.execute(
        f"create or replace temp table fc_runs as select range as run "
        f"from range(1, {int(simulations)} + 1)"
    )
    connection.execute(
        f"""
        create or replace temp table fc_won as
        select open_deals.deal_id, runs.run
        from {OPEN_DEALS} as open_deals
        cross join range(1, {int(simulations)} + 1) as runs(run)
        where hash({int(seed)}, runs.run, open_deals.deal_id) % 1000000
            < cast(open_deals.probability * 10000 as hugeint)
        """
    )
    connection.execute(
        f"""
        create or replace temp table fc_sim_grid as
        with won as (
            select won.run, buckets.{", buckets.".join(KEY)}, buckets.month_number,
                sum(buckets.amount) as amount
            from fc_won as won
            inner join fc_deal_buckets as buckets using (deal_id)
            group by all
        ),
        -- only the runs where a key won something: elsewhere it earns its actuals
        run_keys as (select distinct run, {keys} from won)
        select run_keys.run, actual.{", actual.".join(KEY)}, actual.month_number,
            cast(actual.ctd + coalesce(sum(won.amount) over (
                partition by run_keys.run, {", ".join(f"actual.{k}" for k in KEY)}
                order by actual.month_number
                rows between unbounded preceding and current row), 0)
                as decimal(38, 14)) as ctd
        from run_keys
        inner join fc_actual_ctd as actual using ({keys})
        left join won
            on won.run = run_keys.run and won.month_number = actual.month_number
            and {" and ".join(f"won.{k} = actual.{k}" for k in KEY)}
        where actual.month_number > 0
        """
    )
    connection.execute(
        "create or replace temp table fc_sim_due as "
        + _earnings_sql(macros, "fc_sim_grid", ("run", *KEY, "month_number"))
    )
    connection.execute(
        f"""
        create or replace temp table fc_sim_lines as
        with lines as (
            select sim.run, sim.{", sim.".join(KEY)}, sim.month_number,
                sim.due - coalesce(
                    lag(sim.due) over (partition by sim.run, {", ".join(f"sim.{k}" for k in KEY)}
                                       order by sim.month_number),
                    baseline.due) as line
            from fc_sim_due as sim
            inner join fc_grid_due as baseline
                on baseline.deal_id is null and baseline.month_number = 0
                and {" and ".join(f"baseline.{k} = sim.{k}" for k in KEY)}
        )
        select lines.run, lines.{", lines.".join(KEY)}, lines.month_number,
            lines.line - actual.line as added
        from lines
        inner join fc_grid_lines as actual
            on actual.deal_id is null
            and actual.month_number = lines.month_number
            and {" and ".join(f"actual.{k} = lines.{k}" for k in KEY)}
        where lines.month_number > 0
        """
    )
    # SPIFF shares of won deals per run
    connection.execute(
        """
        create or replace temp table fc_sim_spiffs as
        select won.run, spiffs.employee_id, spiffs.currency, months.month_number,
            sum(spiffs.amount) as amount
        from fc_won as won
        inner join fc_spiffs as spiffs using (deal_id)
        inner join fc_months as months
            on spiffs.event_date between months.month_start and months.month_end
        group by all
        """
    )
