"""A fake NetSuite account (DEMO AND TEST ONLY): SuiteQL over REST and its two auth schemes.

Replays the documented behaviour (source-apis notes, section 3):

- ``POST /services/rest/query/v1/suiteql?limit=&offset=`` with ``Prefer: transient`` and
  ``{"q": "..."}``: ``{"links", "count", "hasMore", "offset", "totalResults", "items"}``,
  every value a string, null columns omitted; at most 1,000 rows a page and 100,000 a query.
- Errors are RFC 9110 problem details with ``o:errorDetails[{detail, o:errorCode}]``.
- ``POST /services/rest/auth/oauth2/v1/token``: OAuth 2.0 client credentials with a JWT
  client assertion (verified against the certificate's public key, ``kid`` and ``aud``);
  token-based auth (OAuth 1.0a HMAC-SHA256) is verified signature by signature.

SuiteQL is understood as far as the connector writes it: ``transaction`` (invoices and credit
memos), ``NextTransactionLineLink`` (payments), ``currencyrate``, joined to ``currency``; the
select expressions, ``IN``/comparison/keyset conditions and ``ORDER BY`` it uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import urllib.parse
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import jwt

from integrations.fakes.server import FakeRequest, FakeResponse, FakeServer, Fault

QUERY_PATH = "/services/rest/query/v1/suiteql"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
PAGE_MAX = 1_000
_TRANSACTION = {"id", "tranid", "trandate", "type", "status", "currency", "foreigntotal",
                "lastmodifieddate", "entity", "exchangerate", "foreignamountpaid",
                "foreignamountunpaid", "duedate", "employee", "memo"}  # fmt: skip
STANDARD_COLUMNS = {
    "t": _TRANSACTION,
    "p": _TRANSACTION,
    "l": {"previousdoc", "nextdoc", "linktype", "foreignamount", "previousline", "nextline"},
    "r": {"id", "basecurrency", "transactioncurrency", "exchangerate", "effectivedate"},
    "c": {"id", "symbol"},
    "bc": {"id", "symbol"},
    "tc": {"id", "symbol"},
}
ROW_CAP = 100_000


def problem(status: int, title: str, detail: str, code: str) -> FakeResponse:
    return FakeResponse(
        status,
        {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15."
            + ("5" if status < 500 else "6"),
            "title": title,
            "status": status,
            "o:errorDetails": [{"detail": detail, "o:errorCode": code}],
        },
        content_type="application/vnd.oracle.resource+json; type=error",
    )


class _SqlError(Exception):
    pass


class NetSuiteFake(FakeServer):
    name = "netsuite"

    def __init__(
        self,
        *,
        client_id: str = "demo-netsuite-client",
        certificate_id: str = "demo-certificate",
        public_key: str | None = None,
        tba: dict[str, str] | None = None,
        realm: str = "1234567",
        row_cap: int = ROW_CAP,
        port: int = 0,
    ) -> None:
        super().__init__(port)
        self.client_id, self.certificate_id, self.public_key = client_id, certificate_id, public_key
        self.tba = tba  # consumer_key, consumer_secret, token_id, token_secret
        self.realm = realm
        self.row_cap = row_cap
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.currencies: dict[int, str] = {1: "USD", 2: "EUR", 3: "GBP"}
        self.transactions: dict[int, dict[str, Any]] = {}
        self.links: list[dict[str, Any]] = []
        self.rates: list[dict[str, Any]] = []

    # -- data ----------------------------------------------------------------------------------

    def currency_id(self, symbol: str) -> int:
        for key, value in self.currencies.items():
            if value == symbol:
                return key
        key = max(self.currencies) + 1
        self.currencies[key] = symbol
        return key

    def put_transaction(self, **fields: Any) -> dict[str, Any]:
        record = self.transactions.setdefault(int(fields["id"]), {})
        record.update(fields)
        record.setdefault("lastmodifieddate", datetime.now(UTC))
        return record

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    @staticmethod
    def concurrency_limit(times: int = 1, retry_after: str | None = None) -> Fault:
        """The account's concurrency limit (the exact REST status is unverified; 429 here)."""
        body = {
            "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
            "title": "Too Many Requests",
            "status": 429,
            "o:errorDetails": [
                {
                    "detail": "Concurrent request limit exceeded. Request blocked.",
                    "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                }
            ],
        }
        headers = {"Retry-After": retry_after} if retry_after else {}
        return Fault("status", path=QUERY_PATH, times=times, status=429, body=body, headers=headers)

    # -- routing --------------------------------------------------------------------------------

    def route(self, request: FakeRequest) -> FakeResponse:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if request.path != QUERY_PATH or request.method != "POST":
            return problem(
                404, "Not Found", "The requested resource does not exist.", "NONEXISTENT_ID"
            )
        if not self._authorized(request):
            return problem(
                401,
                "Unauthorized",
                "Invalid login attempt. For more details, see the Login Audit Trail in the "
                "NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.",
                "INVALID_LOGIN",
            )
        if request.headers.get("prefer", "").lower() != "transient":
            return problem(400, "Bad Request", "The Prefer: transient header is required.",
                           "INVALID_HEADER")  # fmt: skip
        try:
            return self._suiteql(request)
        except _SqlError as exc:
            return problem(400, "Bad Request", f"Invalid search query. {exc}", "INVALID_PARAMETER")

    def _authorized(self, request: FakeRequest) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ") in self.tokens
        if header.startswith("OAuth ") and self.tba:
            return self._tba_ok(request, header)
        return False

    def _tba_ok(self, request: FakeRequest, header: str) -> bool:
        params = dict(re.findall(r'(\w+)="([^"]*)"', header))
        realm = params.pop("realm", "")
        signature = urllib.parse.unquote(params.pop("oauth_signature", ""))
        params = {k: urllib.parse.unquote(v) for k, v in params.items()}
        assert self.tba is not None
        if realm != self.realm or params.get("oauth_consumer_key") != self.tba["consumer_key"]:
            return False
        if params.get("oauth_token") != self.tba["token_id"]:
            return False
        quote = lambda s: urllib.parse.quote(str(s), safe="~")  # noqa: E731
        items = [*request.query.items(), *params.items()]
        normalized = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(items))
        base = "&".join(["POST", quote(f"{self.url}{request.path}"), quote(normalized)])
        key = f"{quote(self.tba['consumer_secret'])}&{quote(self.tba['token_secret'])}"
        expected = base64.b64encode(
            hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
        ).decode()
        return hmac.compare_digest(expected, signature)

    def _token(self, request: FakeRequest) -> FakeResponse:
        with self._lock:
            self.token_requests += 1
        form = request.form()
        invalid = FakeResponse(400, {"error": "invalid_client"})
        if form.get("grant_type") != "client_credentials" or not self.public_key:
            return invalid
        assertion = form.get("client_assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                self.public_key,
                algorithms=["PS256", "ES256", "RS256"],
                audience=f"{self.url}{TOKEN_PATH}",
            )
        except jwt.PyJWTError:
            return invalid
        if header.get("kid") != self.certificate_id or claims.get("iss") != self.client_id:
            return invalid
        if "rest_webservices" not in (claims.get("scope") or []):
            return FakeResponse(400, {"error": "invalid_scope"})
        token = "eyJ" + secrets.token_urlsafe(40)
        with self._lock:
            self.tokens.add(token)
        return FakeResponse(
            200, {"access_token": token, "expires_in": "3600", "token_type": "bearer"}
        )

    # -- SuiteQL ------------------------------------------------------------------------------

    def _suiteql(self, request: FakeRequest) -> FakeResponse:
        limit = int(request.query.get("limit") or 1000)
        offset = int(request.query.get("offset") or 0)
        if limit > PAGE_MAX:
            raise _SqlError(f"limit must be at most {PAGE_MAX}")
        if offset >= self.row_cap:
            raise _SqlError(f"a query returns at most {self.row_cap} rows; offset {offset}")
        text = " ".join(str((request.json() or {}).get("q", "")).split())
        match = re.fullmatch(
            r"SELECT (?P<select>.+?) FROM (?P<source>.+?)(?: WHERE (?P<where>.+?))?"
            r" ORDER BY (?P<order>.+)",
            text,
        )
        if not match:
            raise _SqlError("expected SELECT ... FROM ... [WHERE ...] ORDER BY ...")
        rows = self._rows(match["source"])
        known = {alias: set(cols) for alias, cols in STANDARD_COLUMNS.items()}
        for row in rows:
            for alias, record in row.items():
                known.setdefault(alias, set()).update(record)
        for alias, column in re.findall(r"\b([a-z]{1,2})\.(\w+)", text):
            if alias in known and column not in known[alias]:
                raise _SqlError(f"Unknown identifier '{alias}.{column}'.")
        if match["where"]:
            rows = [r for r in rows if _truth(match["where"], r)]
        order = [o.strip() for o in match["order"].split(",")]
        rows.sort(key=lambda r: tuple(_sort(_value(o, r)) for o in order))
        columns = _split(match["select"], ",")
        selected = []
        for column in columns:
            expr, _, alias = column.rpartition(" AS ")
            if not expr:
                raise _SqlError(f"every column needs an alias: {column}")
            selected.append((expr.strip(), alias.strip()))
        total = min(len(rows), self.row_cap)
        page = rows[offset : min(offset + limit, total)]
        items = []
        for row in page:
            item: dict[str, Any] = {"links": []}
            for expr, alias in selected:
                value = _value(expr, row)
                if value is not None:
                    item[alias] = _text(value)
            items.append(item)
        has_more = offset + len(page) < total
        self_link = f"{self.url}{QUERY_PATH}?limit={limit}&offset={offset}"
        links = [{"rel": "self", "href": self_link}]
        if has_more:
            next_link = f"{self.url}{QUERY_PATH}?limit={limit}&offset={offset + limit}"
            links.append({"rel": "next", "href": next_link})
        return FakeResponse(
            200,
            {
                "links": links,
                "count": len(items),
                "hasMore": has_more,
                "offset": offset,
                "totalResults": len(rows),
                "items": items,
            },
        )

    def _rows(self, source: str) -> list[dict[str, Any]]:
        money = self.currencies
        if source.startswith("transaction t"):
            return [{"t": t, "c": {"symbol": money.get(t.get("currency"))}}
                    for t in self.transactions.values()]  # fmt: skip
        if source.startswith("NextTransactionLineLink l"):
            rows = []
            for link in self.links:
                payment = self.transactions.get(int(link["nextdoc"]))
                if payment is None:
                    continue
                rows.append(
                    {"l": link, "p": payment, "c": {"symbol": money.get(payment.get("currency"))}}
                )
            return rows
        if source.startswith("currencyrate r"):
            return [
                {
                    "r": r,
                    "bc": {"symbol": money.get(r["basecurrency"])},
                    "tc": {"symbol": money.get(r["transactioncurrency"])},
                }
                for r in self.rates
            ]
        raise _SqlError(f"unknown table in: {source[:40]}")


def _split(text: str, separator: str) -> list[str]:
    """Split at top-level separators (outside parentheses and quotes)."""
    parts, depth, quoted, current = [], 0, False, []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if not quoted and depth == 0 and text.startswith(separator, i):
            parts.append("".join(current))
            current = []
            i += len(separator)
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _unwrap(text: str) -> str:
    """Drop parentheses that enclose the whole condition."""
    text = text.strip()
    while text.startswith("("):
        depth, closes = 0, 0
        for position, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                closes = position
                break
        if closes != len(text) - 1:
            return text
        text = text[1:-1].strip()
    return text


def _truth(condition: str, row: dict[str, Any]) -> bool:
    condition = _unwrap(condition)
    alternatives = _split(condition, " OR ")
    if len(alternatives) > 1:
        return any(_truth(a, row) for a in alternatives)
    conjuncts = _split(condition, " AND ")
    if len(conjuncts) > 1:
        return all(_truth(c, row) for c in conjuncts)
    found = re.fullmatch(r"(.+?) IN \((.+)\)", condition)
    if found:
        options = [_literal(v) for v in _split(found.group(2), ",")]
        return _value(found.group(1), row) in options
    found = re.fullmatch(r"(.+?) (>=|<=|=|>|<) (.+)", condition)
    if not found:
        raise _SqlError(f"cannot read condition {condition!r}")
    left, op, right = _value(found.group(1), row), found.group(2), _literal(found.group(3))
    if left is None:
        return False
    left, right = _comparable(left, right)
    return {">=": left >= right, "<=": left <= right, "=": left == right,
            ">": left > right, "<": left < right}[op]  # fmt: skip


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, datetime) and isinstance(left, datetime):
        return left.astimezone(UTC), right
    if isinstance(right, date) and isinstance(left, datetime):
        return left.date(), right
    if isinstance(right, Decimal) and not isinstance(left, Decimal):
        return Decimal(str(left)), right
    return left, right


def _literal(text: str) -> Any:
    text = text.strip()
    stamp = re.fullmatch(r"TO_TIMESTAMP\('([^']+)', '[^']+'\)", text)
    if stamp:
        return datetime.fromisoformat(stamp.group(1)).replace(tzinfo=UTC)
    day = re.fullmatch(r"TO_DATE\('([^']+)', '[^']+'\)", text)
    if day:
        return date.fromisoformat(day.group(1))
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    try:
        return Decimal(text)
    except ArithmeticError:
        raise _SqlError(f"cannot read value {text!r}") from None


def _value(expr: str, row: dict[str, Any]) -> Any:
    expr = expr.strip()
    found = re.fullmatch(r"TO_CHAR\((\w+)\.(\w+), '(.+)'\)", expr)
    if found:
        value = row[found.group(1)].get(found.group(2))
        if value is None:
            return None
        if found.group(3) == "YYYY-MM-DD":
            return (value.date() if isinstance(value, datetime) else value).isoformat()
        moment = value.astimezone(UTC) if isinstance(value, datetime) else value
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    if expr == "BUILTIN.CF(t.status)":
        t = row["t"]
        return f"{t.get('type')}:{t.get('status')}"
    if expr.startswith("CASE WHEN t.type = 'CustCred'"):
        t = row["t"]
        total = Decimal(str(t.get("foreigntotal")))
        return -abs(total) if t.get("type") == "CustCred" else total
    found = re.fullmatch(r"(\w+)\.(\w+)", expr)
    if found and found.group(1) in row:
        return row[found.group(1)].get(found.group(2))
    raise _SqlError(f"unknown column or expression {expr!r}")


def _sort(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return (0, int(value), "")
    if isinstance(value, int | Decimal):
        return (0, value, "")
    return (1, 0, str(value))


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
