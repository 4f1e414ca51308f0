"""``sources:`` of openspm.yaml: which system is a file drop and which a connector, and how.

docs/contract.md section 2 and docs/connectors.md. Every key under ``auth:`` but ``method`` is a
secret given only as an ``${ENV_VAR}`` reference (a key ending in ``_file`` names a file and may
be a literal path); a literal secret is refused, and no error message ever repeats the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openspm.entities import ENTITIES_BY_FOLDER

ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
SourceKind = Literal["file_drop", "salesforce", "hubspot", "netsuite", "bamboohr", "workday"]
KINDS_OF_SYSTEM: dict[str, tuple[str, ...]] = {
    "crm": ("salesforce", "hubspot", "file_drop"),
    "erp": ("netsuite", "file_drop"),
    "hris": ("bamboohr", "workday", "file_drop"),
}
# auth methods of each kind: method -> (required keys, optional keys)
AUTH_METHODS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "salesforce": {
        "client_credentials": (("client_id", "client_secret"), ()),
        "jwt_bearer": (("client_id", "username"), ("private_key", "private_key_file")),
        "password": (("client_id", "client_secret", "username", "password"), ()),
    },
    "hubspot": {"bearer": (("token",), ())},
    "netsuite": {
        "oauth2_m2m": (("client_id", "certificate_id"), ("private_key", "private_key_file")),
        "tba": (("consumer_key", "consumer_secret", "token_id", "token_secret"), ()),
    },
    "bamboohr": {"api_key": (("api_key",), ())},
    "workday": {
        "basic": (("username", "password"), ()),
        "bearer": (("token",), ()),
    },
}
# methods that need one of their optional keys (a private key, inline or as a file)
ONE_OF_REQUIRED = {"jwt_bearer", "oauth2_m2m"}
FX_SOURCES = {"salesforce": False, "netsuite": True}  # kinds that can deliver fx; default on?
CONNECTOR_ONLY = (
    "base_url",
    "overlap_minutes",
    "request_timeout_seconds",
    "max_retry_seconds",
    "retry_initial_seconds",
    "retry_max_wait_seconds",
    "page_size",
    "auth_url",
    "auth",
    "since",
    "fields",
    "values",
    "api_version",
    "bulk_threshold",
    "deal_id_field",
    "fx_rates",
    "timezone",
    "default_currency",
    "reports",
    "account",
)
DEFAULT_SALESFORCE_API = "v66.0"


class KeyedValueError(ValueError):
    """A value error about a key below the one being validated (``path`` is dotted)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


class SourceSettings(BaseModel):
    """Where one source system's entities come from. Without an entry a system is a file drop."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: SourceKind = "file_drop"
    landing_dir: str | None = None  # default: landing/<system>
    base_url: str | None = None
    auth_url: str | None = None  # token endpoint host (salesforce, netsuite); default base_url
    auth: dict[str, str] | None = None
    since: str | None = None  # YYYY-MM-DD: first pull of deals, invoices and payments
    fields: dict[str, dict[str, str]] = {}  # entity -> landing column -> source field
    values: dict[str, dict[str, dict[str, str]]] = {}  # entity -> column -> source -> landing
    overlap_minutes: Annotated[float, Field(ge=0)] = 10.0
    request_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    max_retry_seconds: Annotated[float, Field(ge=0)] = 900.0  # total time one request may take
    retry_initial_seconds: Annotated[float, Field(gt=0)] = 1.0  # first backoff (then doubling)
    retry_max_wait_seconds: Annotated[float, Field(gt=0)] = 120.0  # longest single backoff
    page_size: Annotated[int, Field(ge=1)] | None = None
    api_version: str | None = None  # salesforce, e.g. v66.0
    bulk_threshold: Annotated[int, Field(ge=0)] = 50_000  # salesforce: Bulk 2.0 above this size
    deal_id_field: str | None = None  # netsuite: transaction field holding the CRM deal id
    fx_rates: bool | None = None  # salesforce DatedConversionRate, netsuite currency rates
    timezone: str | None = None  # hubspot: the portal's time zone for close dates
    default_currency: str | None = None  # hubspot: currency of deals without one
    reports: dict[str, str] = {}  # workday: entity -> RaaS report path
    account: str | None = None  # netsuite: account id (TBA realm), e.g. 1234567_SB1

    @field_validator("since", mode="before")
    @classmethod
    def _since(cls, value: Any) -> str | None:
        if value is None:
            return None
        text = str(value)
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date written YYYY-MM-DD") from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
        return text

    @field_validator("base_url", "auth_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                message = f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)"
                raise ValueError(message) from None
        return value

    @field_validator("default_currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (three capitals)")
        return value

    @model_validator(mode="after")
    def _connector_keys(self) -> SourceSettings:
        if self.kind == "file_drop":
            given = [k for k in CONNECTOR_ONLY if k in self.model_fields_set]
            if given:
                message = "only a connector takes this key (kind is file_drop)"
                raise KeyedValueError(given[0], message)
            return self
        if not self.base_url:
            raise KeyedValueError("base_url", f"a {self.kind} source needs its base_url")
        self._check_auth()
        self._check_overrides()
        if self.fx_rates and self.kind not in FX_SOURCES:
            raise KeyedValueError("fx_rates", f"{self.kind} delivers no exchange rates")
        if self.kind == "netsuite":
            if not self.deal_id_field:
                raise KeyedValueError(
                    "deal_id_field",
                    "a netsuite source needs the transaction field that holds the CRM deal id "
                    "(e.g. custbody_crm_deal_id): invoices credit deals through it",
                )
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", self.deal_id_field):
                raise KeyedValueError("deal_id_field", "is not a NetSuite field id")
        if self.kind == "workday":
            for entity, path in self.reports.items():
                if entity not in ("hris/employees", "hris/job_history"):
                    raise KeyedValueError(f"reports.{entity}", "workday reports feed hris entities")
                if not path.startswith("/"):
                    raise KeyedValueError(f"reports.{entity}", "give the report's path from /ccx")
            if "hris/employees" not in self.reports:
                raise KeyedValueError("reports", "a workday source needs reports.hris/employees")
        return self

    def _check_auth(self) -> None:
        methods = AUTH_METHODS[self.kind]
        if not self.auth:
            raise KeyedValueError("auth", f"a {self.kind} source needs auth (method: ...)")
        method = self.auth.get("method")
        if method not in methods:
            raise KeyedValueError(
                "auth.method", f"{method!r} is not one of {', '.join(methods)} for {self.kind}"
            )
        required, optional = methods[method]
        for key, value in self.auth.items():
            if key == "method":
                continue
            if key not in required and key not in optional:
                raise KeyedValueError(f"auth.{key}", f"unknown key for method {method}")
            if key.endswith("_file"):
                continue  # a path to a key file may be literal
            if not ENV_REFERENCE.match(str(value)):
                raise KeyedValueError(
                    f"auth.{key}",
                    "a literal secret is refused: give an ${ENV_VAR} reference "
                    f'(e.g. "${{{self.kind.upper()}_{key.upper()}}}") and set that variable',
                )
        for key in required:
            if key not in self.auth:
                raise KeyedValueError(f"auth.{key}", f"method {method} needs this key")
        if method in ONE_OF_REQUIRED and not any(k in self.auth for k in optional):
            raise KeyedValueError("auth", f"method {method} needs {' or '.join(optional)}")

    def _check_overrides(self) -> None:
        for section, overrides in (("fields", self.fields), ("values", self.values)):
            for folder, columns in overrides.items():
                ent = ENTITIES_BY_FOLDER.get(folder)
                if ent is None:
                    raise KeyedValueError(f"{section}.{folder}", "is no landing entity")
                for column in columns:
                    if column not in ent.column_names:
                        raise KeyedValueError(
                            f"{section}.{folder}.{column}", f"{folder} has no column {column}"
                        )

    @property
    def is_connector(self) -> bool:
        return self.kind != "file_drop"

    @property
    def delivers_fx(self) -> bool:
        """Whether this source lands erp/fx_rates (exactly one place may, per workspace)."""
        default = FX_SOURCES.get(self.kind, False)
        return bool(default if self.fx_rates is None else self.fx_rates)

    @property
    def salesforce_api(self) -> str:
        return self.api_version or DEFAULT_SALESFORCE_API


def check_kinds(sources: Any) -> Any:
    """Before the sources are parsed: each named kind fits its system (crm, erp, hris)."""
    if isinstance(sources, Mapping):
        for system, source in sources.items():
            kind = source.get("kind", "file_drop") if isinstance(source, Mapping) else None
            allowed = KINDS_OF_SYSTEM.get(str(system))
            if allowed and isinstance(kind, str) and kind not in allowed:
                raise KeyedValueError(
                    f"{system}.kind",
                    f"{kind!r} is no {system} source; use one of {', '.join(allowed)}",
                )
    return sources


def check_sources(sources: Mapping[str, SourceSettings]) -> None:
    """Rules across parsed sources: fx rates come from exactly one place."""
    fx = [system for system, source in sources.items() if source.delivers_fx]
    if len(fx) > 1:
        named = " and ".join(f"sources.{s} ({sources[s].kind})" for s in fx)
        raise KeyedValueError(
            f"sources.{fx[-1]}.fx_rates",
            f"fx rates must come from exactly one place, but {named} both deliver them; "
            "set fx_rates: false on one",
        )
