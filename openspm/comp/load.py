"""Writing the validated compensation configuration into the warehouse schema ``comp``.

``write_comp_tables`` replaces every ``comp.*`` table in one transaction, so readers see either
the previous configuration or the new one. The tables are described in ``docs/comp-tables.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from openspm.comp.config import CompConfig
from openspm.comp.plans import FlatRates, TieredRates
from openspm.warehouse import Warehouse

SCHEMA = "comp"
MONEY_SQL, MONEY_ARROW = "DECIMAL(20,6)", pa.decimal128(20, 6)
RATE_SQL, RATE_ARROW = "DECIMAL(18,10)", pa.decimal128(18, 10)

_TYPES: dict[str, tuple[str, pa.DataType]] = {
    "text": ("VARCHAR", pa.string()),
    "texts": ("VARCHAR[]", pa.list_(pa.string())),
    "date": ("DATE", pa.date32()),
    "int": ("INTEGER", pa.int32()),
    "bool": ("BOOLEAN", pa.bool_()),
    "money": (MONEY_SQL, MONEY_ARROW),
    "rate": (RATE_SQL, RATE_ARROW),
}

Row = tuple[Any, ...]


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[tuple[str, str, bool], ...]  # name, type key, nullable
    key: tuple[str, ...]
    rows: Callable[[CompConfig], Iterator[Row]]

    def column_definitions(self) -> tuple[str, ...]:
        return tuple(
            f"{name} {_TYPES[kind][0]}{'' if nullable else ' NOT NULL'}"
            for name, kind, nullable in self.columns
        )

    def arrow(self, config: CompConfig) -> pa.Table:
        rows = list(self.rows(config))
        arrays = [
            pa.array([row[i] for row in rows], type=_TYPES[kind][1])
            for i, (_, kind, _) in enumerate(self.columns)
        ]
        return pa.Table.from_arrays(arrays, names=[name for name, _, _ in self.columns])


def _plans(config: CompConfig) -> Iterator[Row]:
    for plan_id, plan in config.plans.items():
        window = plan.clawback.window_days if plan.clawback else None
        yield (
            plan_id,
            plan.name,
            plan.currency,
            plan.effective_from,
            plan.effective_to,
            window,
            config.plan_files[plan_id],
        )


def _components(config: CompConfig) -> Iterator[Row]:
    for plan_id, plan in config.plans.items():
        for number, c in enumerate(plan.components, start=1):
            flat_rate = c.rates.rate if isinstance(c.rates, FlatRates) else None
            yield (
                plan_id,
                c.id,
                number,
                c.measure,
                list(c.deal_types),
                list(c.credit_types),
                c.quota_period,
                c.is_quota_based,
                c.rates.method,
                flat_rate,
                c.cap,
            )


def _tiers(config: CompConfig) -> Iterator[Row]:
    for plan_id, plan in config.plans.items():
        for c in plan.components:
            if not isinstance(c.rates, TieredRates):
                continue
            tiers = c.rates.tiers
            for number, tier in enumerate(tiers, start=1):
                upper = tiers[number].from_ if number < len(tiers) else None
                yield (plan_id, c.id, number, tier.from_, upper, tier.rate)


def _spiffs(config: CompConfig) -> Iterator[Row]:
    for plan_id, plan in config.plans.items():
        for s in plan.spiffs:
            yield (plan_id, s.id, list(s.deal_types), s.from_, s.to, s.min_amount, s.amount)


def _draws(config: CompConfig) -> Iterator[Row]:
    for plan_id, plan in config.plans.items():
        if plan.draw is not None:
            d = plan.draw
            yield (plan_id, d.kind, d.monthly_amount, d.from_, d.to)


def _quota_periods(config: CompConfig) -> Iterator[Row]:
    for plan_id, plan in config.plans.items():
        for c in plan.components:
            for p in plan.component_periods(c):
                kind = c.settlement_period
                yield (plan_id, c.id, "component", kind, p.number, p.start, p.end, c.is_quota_based)
        for s in plan.spiffs:
            for p in plan.quota_periods("year"):
                yield (plan_id, s.id, "spiff", "year", p.number, p.start, p.end, False)


def _assignments(config: CompConfig) -> Iterator[Row]:
    for a in config.assignments:
        yield (
            a.employee_id,
            a.plan_id,
            a.effective_from,
            a.effective_to,
            a.effective_end,
            a.target_incentive,
            a.row,
        )


def _quotas(config: CompConfig) -> Iterator[Row]:
    for q in config.quotas:
        component = config.plans[q.plan_id].component(q.component_id)
        assert component is not None and component.quota_period is not None
        period = config.plans[q.plan_id].period_containing(component.quota_period, q.period_start)
        assert period is not None
        yield (q.employee_id, q.plan_id, q.component_id, q.period_start, period.end, q.quota, q.row)


def _adjustments(config: CompConfig) -> Iterator[Row]:
    for a in config.adjustments:
        yield (a.adjustment_id, a.employee_id, a.period, a.amount, a.currency, a.reason, a.row)


def _opening_balances(config: CompConfig) -> Iterator[Row]:
    for b in config.opening_balances:
        yield (
            b.employee_id,
            b.kind,
            b.plan_id,
            b.component_id,
            b.quota_period_start,
            b.amount,
            b.currency,
            b.row,
        )


TABLES: tuple[_Table, ...] = (
    _Table(
        "plans",
        (
            ("plan_id", "text", False),
            ("name", "text", False),
            ("currency", "text", False),
            ("effective_from", "date", False),
            ("effective_to", "date", False),
            ("clawback_window_days", "int", True),
            ("source_file", "text", False),
        ),
        ("plan_id",),
        _plans,
    ),
    _Table(
        "plan_components",
        (
            ("plan_id", "text", False),
            ("component_id", "text", False),
            ("component_number", "int", False),
            ("measure", "text", False),
            ("deal_types", "texts", False),
            ("credit_types", "texts", False),
            ("quota_period", "text", True),
            ("is_quota_based", "bool", False),
            ("rate_method", "text", False),
            ("flat_rate", "rate", True),
            ("cap", "money", True),
        ),
        ("plan_id", "component_id"),
        _components,
    ),
    _Table(
        "plan_component_tiers",
        (
            ("plan_id", "text", False),
            ("component_id", "text", False),
            ("tier_number", "int", False),
            ("tier_from", "rate", False),
            ("tier_to", "rate", True),
            ("rate", "rate", False),
        ),
        ("plan_id", "component_id", "tier_number"),
        _tiers,
    ),
    _Table(
        "plan_spiffs",
        (
            ("plan_id", "text", False),
            ("spiff_id", "text", False),
            ("deal_types", "texts", False),
            ("from_date", "date", False),
            ("to_date", "date", False),
            ("min_amount", "money", False),
            ("amount", "money", False),
        ),
        ("plan_id", "spiff_id"),
        _spiffs,
    ),
    _Table(
        "plan_draws",
        (
            ("plan_id", "text", False),
            ("kind", "text", False),
            ("monthly_amount", "money", False),
            ("from_date", "date", False),
            ("to_date", "date", False),
        ),
        ("plan_id",),
        _draws,
    ),
    _Table(
        "quota_periods",
        (
            ("plan_id", "text", False),
            ("component_id", "text", False),
            ("source", "text", False),
            ("quota_period", "text", False),
            ("period_number", "int", False),
            ("period_start", "date", False),
            ("period_end", "date", False),
            ("needs_quota", "bool", False),
        ),
        ("plan_id", "component_id", "period_start"),
        _quota_periods,
    ),
    _Table(
        "plan_assignments",
        (
            ("employee_id", "text", False),
            ("plan_id", "text", False),
            ("effective_from", "date", False),
            ("effective_to", "date", True),
            ("effective_end", "date", False),
            ("target_incentive", "money", False),
            ("source_row", "int", False),
        ),
        ("employee_id", "effective_from"),
        _assignments,
    ),
    _Table(
        "quotas",
        (
            ("employee_id", "text", False),
            ("plan_id", "text", False),
            ("component_id", "text", False),
            ("period_start", "date", False),
            ("quota_period_end", "date", False),
            ("quota", "money", False),
            ("source_row", "int", False),
        ),
        ("employee_id", "plan_id", "component_id", "period_start"),
        _quotas,
    ),
    _Table(
        "adjustments",
        (
            ("adjustment_id", "text", False),
            ("employee_id", "text", False),
            ("period", "text", False),
            ("amount", "money", False),
            ("currency", "text", False),
            ("reason", "text", False),
            ("source_row", "int", False),
        ),
        ("adjustment_id",),
        _adjustments,
    ),
    _Table(
        "opening_balances",
        (
            ("employee_id", "text", False),
            ("kind", "text", False),
            ("plan_id", "text", True),
            ("component_id", "text", True),
            ("quota_period_start", "date", True),
            ("amount", "money", False),
            ("currency", "text", False),
            ("source_row", "int", False),
        ),
        ("source_row",),
        _opening_balances,
    ),
)


def write_comp_tables(config: CompConfig, connection: Warehouse) -> dict[str, int]:
    """Replace every ``comp.*`` table with ``config`` in one transaction; return row counts.

    On Spark (no transactions) the tables are replaced one after the other; one writer runs at a
    time and dbt reads them only after this step.
    """
    data = {table.name: table.arrow(config) for table in TABLES}  # fail before touching the db
    counts: dict[str, int] = {}
    connection.create_schema(SCHEMA)
    with connection.transaction():
        for table in TABLES:
            connection.create_table(
                f"{SCHEMA}.{table.name}",
                table.column_definitions(),
                primary_key=table.key,
                replace=True,
            )
            connection.append_arrow(f"{SCHEMA}.{table.name}", data[table.name])
            counts[f"{SCHEMA}.{table.name}"] = data[table.name].num_rows
    return counts
