"""NetSuite: SuiteQL over REST for invoices, customer payments and currency rates.

- ``POST /services/rest/query/v1/suiteql?limit=1000&offset=N`` with ``Prefer: transient``;
  pages follow ``hasMore``. One query returns at most 100,000 rows, so a long pull restarts
  its query after the last key read (keyset) instead of paging past the cap.
- Every value arrives as text; dates are formatted in the query (``TO_CHAR``), since NetSuite
  formats dates by the integration user's preference.
- ``invoices`` -> erp/invoices: invoices (``CustInvc``) and credit memos (``CustCred``, with a
  negative amount); the deal is the transaction field named by ``deal_id_field`` (validate
  refuses a NetSuite source without it); the currency is the currency table's ``symbol``;
  the status is keyed on ``BUILTIN.CF(status)`` letter codes, never on the localised label.
- ``payments`` -> erp/payments: one row per payment applied to an invoice
  (``NextTransactionLineLink``), keyed ``<payment id>-<invoice id>``.
- ``currency_rates`` -> erp/fx_rates (unless ``fx_rates: false``): 1 transaction currency =
  exchangerate base currency, from its effective date.

Auth: OAuth 2.0 machine-to-machine (a JWT client assertion signed with the certificate's key,
PS256 for RSA, ES256 for EC) or token-based auth (OAuth 1.0a, HMAC-SHA256) as a fallback.
Concurrency-limit errors (429, or 400 naming the limit) are retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets as pysecrets
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pyarrow as pa

from integrations.auth import TokenAuth
from integrations.base import Connector, SourceObject
from integrations.http import SourceError, SourceHttp, Verdict, error_text, json_body
from integrations.mapping import ObjectMapping, records_table, text_column
from integrations.secrets import Secret

QUERY_PATH = "/services/rest/query/v1/suiteql"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ROW_CAP = 100_000  # rows one SuiteQL query can return
PAGE = 1_000
STAMP = "'YYYY-MM-DD\"T\"HH24:MI:SS'"
INVOICE_STATUS = {
    "CustInvc:A": "open",
    "CustInvc:B": "paid",
    "CustInvc:V": "void",
    "CustCred:A": "open",
    "CustCred:B": "paid",
    "CustCred:V": "void",
}
PAYMENT_ID = "payment.application"  # computed: <payment id>-<invoice id>


@dataclass(frozen=True)
class Query:
    """A SuiteQL query in parts, so a restart can add a keyset condition."""

    select: str
    source: str
    where: tuple[str, ...]
    order: tuple[str, ...]  # unique key columns, in order

    def sql(self, after: Sequence[str] | None = None) -> str:
        where = list(self.where)
        if after is not None:
            where.append(_after(self.order, after))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT {self.select} FROM {self.source}{clause} ORDER BY {', '.join(self.order)}"


def _after(order: Sequence[str], values: Sequence[str]) -> str:
    """A keyset condition: the rows strictly after ``values`` in ``order``."""
    values = [v if re.fullmatch(r"-?\d+", v) else "'" + v.replace("'", "''") + "'" for v in values]
    parts = []
    for i, column in enumerate(order):
        equal = [f"{order[j]} = {values[j]}" for j in range(i)]
        parts.append("(" + " AND ".join([*equal, f"{column} > {values[i]}"]) + ")")
    return "(" + " OR ".join(parts) + ")"


def classify(response: httpx.Response) -> Verdict | None:
    text = error_text(response)
    reason = f"HTTP {response.status_code} {text}"
    low = text.lower()
    if response.status_code in (400, 403) and (
        "concurren" in low or "limit exceeded" in low or "request limit" in low
    ):
        advice = "the account's concurrency limit is taken by other integrations"
        return Verdict(True, reason, advice)
    if response.status_code == 400 and ("invalid" in low or "search" in low):
        return Verdict(
            False,
            reason,
            "the SuiteQL query was refused: check deal_id_field and fields: in openspm.yaml, "
            "and that the role may read transactions and currencies",
        )
    return None


def _stamp(moment: datetime) -> str:
    return f"TO_TIMESTAMP('{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}', 'YYYY-MM-DD HH24:MI:SS')"


class TbaAuth:
    """Token-based auth: an OAuth 1.0a header signed with HMAC-SHA256 on every request."""

    def __init__(self, realm: str, keys: dict[str, Secret]) -> None:
        self.realm = realm
        self.keys = keys

    def apply(self, request: httpx.Request) -> None:
        oauth = {
            "oauth_consumer_key": self.keys["consumer_key"].reveal(),
            "oauth_token": self.keys["token_id"].reveal(),
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_timestamp": str(int(time.time())),
            "oauth_nonce": pysecrets.token_hex(12),
            "oauth_version": "1.0",
        }
        url = request.url
        params = [*url.params.multi_items(), *oauth.items()]
        quote = lambda s: urllib.parse.quote(str(s), safe="~")  # noqa: E731
        normalized = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(params))
        base_url = f"{url.scheme}://{url.host}{':' + str(url.port) if url.port else ''}{url.path}"
        base = "&".join([request.method.upper(), quote(base_url), quote(normalized)])
        key = (
            f"{quote(self.keys['consumer_secret'].reveal())}&"
            f"{quote(self.keys['token_secret'].reveal())}"
        )
        digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
        oauth["oauth_signature"] = base64.b64encode(digest).decode()
        header = ", ".join(f'{k}="{quote(v)}"' for k, v in oauth.items())
        request.headers["Authorization"] = f'OAuth realm="{self.realm}", {header}'

    def refresh(self) -> None:
        return None


class NetSuiteConnector(Connector):
    kind = "netsuite"

    def objects(self) -> list[SourceObject]:
        deal_field = self.settings.deal_id_field or "custbody_crm_deal_id"
        objects = [
            SourceObject(
                "invoices",
                "erp/invoices",
                {
                    "invoice_id": "id",
                    "deal_id": deal_field,
                    "invoice_date": "trandate",
                    "amount": "amount",
                    "currency": "currency",
                    "status": "status",
                    "modified_at": "lastmodifieddate",
                },
                {"status": INVOICE_STATUS},
                cursor="lastmodifieddate",
            ),
            SourceObject(
                "payments",
                "erp/payments",
                {
                    "payment_id": PAYMENT_ID,
                    "invoice_id": "invoice",
                    "payment_date": "trandate",
                    "amount": "amount",
                    "currency": "currency",
                    "modified_at": "lastmodifieddate",
                },
                cursor="lastmodifieddate",
            ),
        ]
        if self.settings.delivers_fx:
            objects.append(
                SourceObject(
                    "currency_rates",
                    "erp/fx_rates",
                    {
                        "rate_date": "effectivedate",
                        "from_currency": "transactioncurrency",
                        "to_currency": "basecurrency",
                        "rate": "exchangerate",
                    },
                    cursor="effectivedate",
                    uses_since=False,
                )
            )
        return objects

    # -- session --------------------------------------------------------------------------------

    def make_http(self) -> SourceHttp:
        if self.method == "tba":
            keys = {k: self.secret(k) for k in ("consumer_key", "consumer_secret", "token_id",
                                                "token_secret")}  # fmt: skip
            auth: Any = TbaAuth(self._realm(), keys)
        else:
            auth = TokenAuth(self._fetch_token)
        return SourceHttp(
            self.label,
            self.settings.base_url or "",
            auth=auth,
            classify=classify,
            headers={"Prefer": "transient"},
            **self.http_options(),
        )

    def _realm(self) -> str:
        if self.settings.account:
            return self.settings.account
        host = urllib.parse.urlsplit(self.settings.base_url or "").hostname or ""
        return host.split(".")[0].upper().replace("-", "_")

    def _fetch_token(self) -> str:
        url = f"{self.settings.auth_url or self.settings.base_url}{TOKEN_PATH}"
        key = self.secret("private_key").reveal()
        algorithm = "ES256" if "EC PRIVATE KEY" in key or "BEGIN EC" in key else "PS256"
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": self.secret("client_id").reveal(),
                "scope": ["rest_webservices"],
                "aud": url,
                "iat": now,
                "exp": now + 3600,
                "jti": str(uuid.uuid4()),
            },
            key,
            algorithm=algorithm,
            headers={"typ": "JWT", "kid": self.secret("certificate_id").reveal()},
        )
        response = self.http.post(
            url,
            obj="token",
            authenticate=False,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )
        token = json_body(response).get("access_token")
        if not token:
            raise SourceError(self.label, "token", "the token response holds no access_token")
        return str(token)

    # -- queries --------------------------------------------------------------------------------

    def _query(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> tuple[Query, list[str]]:
        """The object's query and the aliases of its columns (the page's source fields)."""
        known: dict[str, str]
        if obj.name == "invoices":
            deal = self.settings.deal_id_field or ""
            known = {
                "id": "t.id",
                "tranid": "t.tranid",
                "trandate": "TO_CHAR(t.trandate, 'YYYY-MM-DD')",
                "type": "t.type",
                "status": "BUILTIN.CF(t.status)",
                "currency": "c.symbol",
                "amount": "CASE WHEN t.type = 'CustCred' THEN -ABS(t.foreigntotal) "
                "ELSE t.foreigntotal END",
                deal: f"t.{deal}",
                "lastmodifieddate": f"TO_CHAR(t.lastmodifieddate, {STAMP})",
            }
            where = ["t.type IN ('CustInvc', 'CustCred')"]
            if since is not None:
                where.append(f"t.lastmodifieddate >= {_stamp(since)}")
            query = Query("", "transaction t JOIN currency c ON c.id = t.currency",
                          tuple(where), ("t.id",))  # fmt: skip
            prefix = "t"
        elif obj.name == "payments":
            known = {
                "payment": "l.nextdoc",
                "invoice": "l.previousdoc",
                "amount": "l.foreignamount",
                "trandate": "TO_CHAR(p.trandate, 'YYYY-MM-DD')",
                "currency": "c.symbol",
                "lastmodifieddate": f"TO_CHAR(p.lastmodifieddate, {STAMP})",
            }
            where = ["l.linktype = 'Payment'", "p.type = 'CustPymt'"]
            if since is not None:
                where.append(f"p.lastmodifieddate >= {_stamp(since)}")
            query = Query(
                "",
                "NextTransactionLineLink l JOIN transaction p ON p.id = l.nextdoc "
                "JOIN currency c ON c.id = p.currency",
                tuple(where),
                ("l.nextdoc", "l.previousdoc"),
            )
            prefix = "p"
        else:
            known = {
                "id": "r.id",
                "effectivedate": "TO_CHAR(r.effectivedate, 'YYYY-MM-DD')",
                "basecurrency": "bc.symbol",
                "transactioncurrency": "tc.symbol",
                "exchangerate": "r.exchangerate",
            }
            where = []
            if since is not None:
                where.append(f"r.effectivedate >= TO_DATE('{since:%Y-%m-%d}', 'YYYY-MM-DD')")
            query = Query(
                "",
                "currencyrate r JOIN currency bc ON bc.id = r.basecurrency "
                "JOIN currency tc ON tc.id = r.transactioncurrency",
                tuple(where),
                ("r.id",),
            )
            prefix = "r"
        columns = dict(known)
        for source in mapping.source_fields:
            if source in columns or source == PAYMENT_ID:
                continue
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", source):
                raise SourceError(self.label, obj.name, f"fields: {source!r} is no field name")
            columns[source] = f"{prefix}.{source}"
        order_aliases = [f"_k{i}" for i in range(len(query.order))]
        columns.update(zip(order_aliases, query.order, strict=True))
        select = ", ".join(f"{expr} AS {alias}" for alias, expr in columns.items())
        return Query(select, query.source, query.where, query.order), list(columns)

    def fetch(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        query, fields = self._query(obj, mapping, since)
        keys = [f"_k{i}" for i in range(len(query.order))]
        after: list[str] | None = None
        size = self.page_size(PAGE, PAGE)
        while True:
            sql = query.sql(after)
            offset, restarted = 0, False
            while True:
                body = self._page(obj.name, sql, size, offset)
                items = body.get("items") or []
                if items:
                    page = records_table(items, fields)
                    yield self._complete(obj, page)
                    last = items[-1]
                    after = [str(last.get(k, "")) for k in keys]
                if not body.get("hasMore"):
                    return
                offset += len(items)
                if offset + size > ROW_CAP:  # past this a query returns nothing more
                    restarted = True
                    break
            if not restarted:
                return

    def _page(self, name: str, sql: str, size: int, offset: int) -> dict[str, Any]:
        response = self.http.post(
            QUERY_PATH, obj=name, params={"limit": size, "offset": offset}, json={"q": sql}
        )
        return json_body(response)

    def _complete(self, obj: SourceObject, page: pa.Table) -> pa.Table:
        if obj.name == "payments":
            pairs = zip(page["payment"].to_pylist(), page["invoice"].to_pylist(), strict=True)
            ids = [f"{p}-{i}" if p and i else None for p, i in pairs]
            page = page.append_column(PAYMENT_ID, text_column(ids))
        return page
