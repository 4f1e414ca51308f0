"""``warehouse:`` of openspm.yaml: a DuckDB file (the default) or a server (PostgreSQL, Spark).

``warehouse: warehouse.duckdb`` (a path, relative to the workspace) keeps the embedded
default. A mapping names a server::

    warehouse:
      type: postgres            # or spark (a Spark Connect endpoint: sc://host:port)
      host: db.example.com
      port: 5432
      database: finance
      user: openspm
      password: ${OPENSPM_PG_PASSWORD}

Credentials are ``${ENV_VAR}`` references only, as under ``sources:``: a literal secret is
refused and no error message repeats a value (docs/scaling.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openspm.source_settings import ENV_REFERENCE

DEFAULT_DUCKDB_PATH = "warehouse.duckdb"


class WarehouseSecretError(RuntimeError):
    """A credential reference cannot be resolved; names the key and variable, never a value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _reference(value: str | None) -> str | None:
    if value is not None and not ENV_REFERENCE.match(value):
        raise ValueError(
            "a literal secret is refused: give an ${ENV_VAR} reference "
            '(e.g. "${OPENSPM_WAREHOUSE_PASSWORD}") and set that variable'
        )
    return value


def resolve_reference(reference: str | None, key: str, environ: Mapping[str, str] | None = None
                      ) -> str | None:  # fmt: skip
    """The value of an ``${ENV_VAR}`` reference (None stays None)."""
    if reference is None:
        return None
    match = ENV_REFERENCE.match(reference)
    if match is None:  # the settings refuse this; kept as a guard
        raise WarehouseSecretError(f"warehouse.{key}: not an ${{ENV_VAR}} reference")
    env = os.environ if environ is None else environ
    value = env.get(match.group(1))
    if value is None:
        raise WarehouseSecretError(
            f"warehouse.{key}: the environment variable {match.group(1)} is not set; export it "
            "before running OpenSPM"
        )
    return value


class DuckDBSettings(_Strict):
    """The embedded warehouse: one DuckDB file (relative paths are the workspace's)."""

    type: Literal["duckdb"] = "duckdb"
    path: Annotated[str, Field(min_length=1)] = DEFAULT_DUCKDB_PATH


class PostgresSettings(_Strict):
    """A PostgreSQL database (12 or later); OpenSPM's schemas are created in it."""

    type: Literal["postgres"]
    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 5432
    database: Annotated[str, Field(min_length=1)]
    user: Annotated[str, Field(min_length=1)]
    password: str | None = None  # ${ENV_VAR}
    sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = (
        None
    )

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return _reference(value)

    def url(self, environ: Mapping[str, str] | None = None) -> str:
        """The SQLAlchemy URL (psycopg2 driver) with the password resolved."""
        from sqlalchemy.engine import URL

        query = {"sslmode": self.sslmode} if self.sslmode else {}
        return URL.create(
            "postgresql+psycopg2",
            username=self.user,
            password=resolve_reference(self.password, "password", environ),
            host=self.host,
            port=self.port,
            database=self.database,
            query=query,
        ).render_as_string(hide_password=False)


class SparkSettings(_Strict):
    """A Spark Connect endpoint (``sc://host:port``): Spark 4, Databricks Connect, or a local
    server (tests). Tables are Parquet in the server's catalogue (docs/scaling.md)."""

    type: Literal["spark"]
    host: Annotated[str, Field(min_length=1)]
    port: Annotated[int, Field(ge=1, le=65535)] = 15002
    token: str | None = None  # ${ENV_VAR}: a bearer token, when the endpoint wants one
    use_ssl: bool = False

    @field_validator("token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return _reference(value)

    def remote(self, environ: Mapping[str, str] | None = None) -> str:
        """The Spark Connect connection string (with the token resolved)."""
        url = f"sc://{self.host}:{self.port}/"
        options = []
        if self.use_ssl:
            options.append("use_ssl=true")
        token = resolve_reference(self.token, "token", environ)
        if token:
            options.append(f"token={token}")
        return url + (";" + ";".join(options) if options else "")


WarehouseSettings = Annotated[
    DuckDBSettings | PostgresSettings | SparkSettings, Field(discriminator="type")
]
ENGINES = ("duckdb", "postgres", "spark")


def normalise_warehouse(value: Any) -> Any:
    """``warehouse:`` as written, before validation: a path is a DuckDB file; a mapping without
    ``type`` is DuckDB too."""
    if value is None:
        return {"type": "duckdb"}
    if isinstance(value, str):
        return {"type": "duckdb", "path": value}
    if isinstance(value, Mapping) and "type" not in value:
        return {"type": "duckdb", **value}
    return value
