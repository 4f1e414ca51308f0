"""The landing entities of the contract (section 2): their keys, columns and column types.

This registry is the single description of what connectors and file drops deliver. Ingestion
validates delivered values against it, the demo generator writes it, and the dbt sources in
``dbt_project/models/staging/<system>/_<system>__sources.yml`` mirror it (a test keeps them
in step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ColumnType(StrEnum):
    """How a delivered text value must parse."""

    STRING = "string"
    BOOLEAN = "boolean"  # true/false (any case) or 1/0
    DATE = "date"  # YYYY-MM-DD
    TIMESTAMP = "timestamp"  # ISO 8601; UTC unless an offset is given
    DECIMAL = "decimal"  # digits with an optional '.' fraction, optional leading '-'
    INTEGER = "integer"
    CURRENCY = "currency"  # three upper-case letters (ISO 4217 form)
    ENUM = "enum"  # one of Column.values


@dataclass(frozen=True)
class Column:
    """One delivered column."""

    name: str
    type: ColumnType = ColumnType.STRING
    required: bool = True  # the header must name it (contract: "required unless optional")
    nullable: bool = False  # an empty value is admitted (always so for optional columns)
    values: tuple[str, ...] = ()  # accepted values of an ENUM column
    scale: int = 6  # decimal places a DECIMAL column keeps
    precision: int = 20  # total digits a DECIMAL column keeps


@dataclass(frozen=True)
class Entity:
    """One landing entity: a folder ``landing/<system>/<entity>/`` of CSV and Parquet batches."""

    system: str
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    versioned_by: str | None = "modified_at"  # None: the file name alone orders versions
    deletable: bool = field(default=False)

    @property
    def table(self) -> str:
        """Raw table (and dbt source table) name: ``<system>__<entity>``."""
        return f"{self.system}__{self.name}"

    @property
    def folder(self) -> str:
        """Folder below ``landing/`` that holds the batches."""
        return f"{self.system}/{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.folder} has no column {name!r}")


T = ColumnType
_MODIFIED = Column("modified_at", T.TIMESTAMP)
_DELETED = Column("is_deleted", T.BOOLEAN, required=False)
AMOUNT = Column("amount", T.DECIMAL, precision=20, scale=6)

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "crm",
        "deals",
        key=("deal_id",),
        deletable=True,
        columns=(
            Column("deal_id"),
            Column("account_id"),
            Column("owner_id"),
            Column("deal_type", T.ENUM, values=("new_business", "expansion", "renewal")),
            Column("stage"),
            Column("is_won", T.BOOLEAN),
            # A won deal without amount, close date or currency is a blocking data-quality
            # failure of its own (docs/contract.md section 6), so empty values pass ingestion.
            Column("close_date", T.DATE, nullable=True),
            Column("amount", T.DECIMAL, nullable=True, precision=20, scale=6),
            Column("currency", T.CURRENCY, nullable=True),
            Column("contract_start_date", T.DATE, required=False),
            Column("contract_term_months", T.INTEGER, required=False),
            Column("cancelled_date", T.DATE, required=False),
            # contract v1.1: forecasting inputs, optional (connectors map them)
            Column("is_closed", T.BOOLEAN, required=False),
            Column("probability", T.DECIMAL, required=False, precision=9, scale=6),  # 0-100
            Column("forecast_category", required=False),
            _MODIFIED,
            _DELETED,
        ),
    ),
    Entity(
        "crm",
        "deal_splits",
        key=("split_id",),
        deletable=True,
        columns=(
            Column("split_id"),
            Column("deal_id"),
            Column("owner_id"),
            Column("split_type", T.ENUM, values=("revenue", "overlay")),
            Column("split_percent", T.DECIMAL, precision=9, scale=6),
            _MODIFIED,
            _DELETED,
        ),
    ),
    Entity(
        "crm",
        "accounts",
        key=("account_id",),
        deletable=True,
        columns=(
            Column("account_id"),
            Column("name"),
            Column("country"),
            Column("industry", required=False),
            Column("segment", required=False),
            _MODIFIED,
            _DELETED,
        ),
    ),
    Entity(
        "crm",
        "users",
        key=("user_id",),
        deletable=True,
        columns=(
            Column("user_id"),
            Column("employee_id"),
            Column("email"),
            _MODIFIED,
            _DELETED,
        ),
    ),
    Entity(
        "erp",
        "invoices",
        key=("invoice_id",),
        columns=(
            Column("invoice_id"),
            Column("deal_id"),
            Column("invoice_date", T.DATE),
            AMOUNT,
            Column("currency", T.CURRENCY),
            Column("status", T.ENUM, values=("open", "paid", "void")),
            _MODIFIED,
        ),
    ),
    Entity(
        "erp",
        "payments",
        key=("payment_id",),
        columns=(
            Column("payment_id"),
            Column("invoice_id"),
            Column("payment_date", T.DATE),
            AMOUNT,
            Column("currency", T.CURRENCY),
            _MODIFIED,
        ),
    ),
    Entity(
        "erp",
        "fx_rates",
        key=("rate_date", "from_currency", "to_currency"),
        versioned_by=None,
        columns=(
            Column("rate_date", T.DATE),
            Column("from_currency", T.CURRENCY),
            Column("to_currency", T.CURRENCY),
            Column("rate", T.DECIMAL, precision=24, scale=12),
        ),
    ),
    Entity(
        "hris",
        "employees",
        key=("employee_id",),
        columns=(
            Column("employee_id"),
            Column("first_name"),
            Column("last_name"),
            Column("email"),
            Column("hire_date", T.DATE),
            Column("termination_date", T.DATE, required=False),
            _MODIFIED,
        ),
    ),
    Entity(
        "hris",
        "job_history",
        key=("employee_id", "effective_date"),
        columns=(
            Column("employee_id"),
            Column("effective_date", T.DATE),
            Column("job_title"),
            Column("manager_id", required=False),
            Column("department", required=False),
            Column("country", required=False),
            Column("status", T.ENUM, values=("active", "leave", "terminated")),
            _MODIFIED,
        ),
    ),
)

ENTITIES_BY_FOLDER: dict[str, Entity] = {e.folder: e for e in ENTITIES}


def entity(folder: str) -> Entity:
    """The entity delivered in ``landing/<folder>`` (e.g. ``crm/deals``)."""
    try:
        return ENTITIES_BY_FOLDER[folder]
    except KeyError:
        known = ", ".join(sorted(ENTITIES_BY_FOLDER))
        raise KeyError(f"unknown landing entity {folder!r}; known: {known}") from None
