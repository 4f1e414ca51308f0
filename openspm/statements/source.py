"""Where statements read a month from: ``finance.*``, as it is or as the close will leave it.

A published month is read from ``finance`` only. Before the publication commits (the staged
files of a close) the month's rows are not in ``finance`` yet: ``FinanceSource.staged`` reads
``finance`` plus the month's drafts, the rows the publication will copy, stamped with the
close's run id. Either way the statement code sees one set of relations shaped like
``finance.*`` (docs/statements.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from openspm.publish import FINANCE_SCHEMA, PUBLISHED_TABLES, draft_tables
from openspm.warehouse import Warehouse, table_exists
from openspm.warehouse import quote_literal as _literal


@dataclass(frozen=True)
class FinanceSource:
    """The relations of ``finance.*`` for ``period``, with the month's drafts when staged.

    ``run_id`` and ``closed_at`` stamp the month: the close's run and time (a published month:
    those of ``finance.closes``).
    """

    connection: Warehouse
    period: str
    run_id: str
    closed_at: datetime
    drafts: dict[str, str] = field(default_factory=dict)  # table -> draft mart (staged only)

    @classmethod
    def published(cls, connection: Warehouse, period: str) -> FinanceSource:
        """A month in ``finance.closes``; LookupError when it is not published."""
        row = connection.execute(
            f"select run_id, published_at from {FINANCE_SCHEMA}.closes where period = ?",
            [period],
        ).fetchone()
        if row is None:
            raise LookupError(f"{period} is not closed")
        return cls(connection, period, str(row[0]), row[1])

    @classmethod
    def staged(
        cls,
        connection: Warehouse,
        period: str,
        run_id: str,
        closed_at: datetime,
    ) -> FinanceSource:
        """``finance`` plus the drafts of ``period``, as the publication will copy them."""
        drafts = {t: m for t, m in draft_tables().items() if table_exists(connection, m)}
        return cls(connection, period, run_id, closed_at, drafts)

    @property
    def is_staged(self) -> bool:
        return bool(self.drafts)

    def table(self, name: str, alias: str | None = None) -> str:
        """A FROM item with the rows of ``finance.<name>``, the month's drafts included, named
        ``alias`` (default ``<name>_rows``)."""
        published = f"{FINANCE_SCHEMA}.{name}"
        alias = alias or f"{name}_rows"
        draft = self.drafts.get(name)
        if draft is None:
            return f"{published} as {alias}"
        columns = ", ".join(column.split()[0] for column in PUBLISHED_TABLES[name])
        stamp = self.connection.cast(_literal(self.closed_at.isoformat(sep=" ")), "TIMESTAMP")
        return (
            f"(select {columns}, run_id, published_at from {published} union all "
            f"select {columns}, {_literal(self.run_id)} as run_id, {stamp} as published_at "
            f"from {draft} where period = {_literal(self.period)}) as {alias}"
        )

    def has(self, schema_table: str) -> bool:
        """Whether a table outside finance (staging, comp) exists in the warehouse."""
        return table_exists(self.connection, schema_table)
