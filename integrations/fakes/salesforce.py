"""A fake Salesforce org (DEMO AND TEST ONLY): OAuth token, REST query/queryAll, Bulk 2.0.

Replays what the Salesforce documentation shows (source-apis notes, section 1):

- ``POST /services/oauth2/token``: client credentials, JWT bearer (RS256, verified) and the
  username-password flow; ``{"access_token", "instance_url", ...}`` or HTTP 400
  ``{"error": "invalid_client" | "invalid_grant", "error_description"}``.
- ``GET /services/data/vNN/query|queryAll?q=SOQL``: batches of up to 2,000 records with
  ``attributes``, ``totalSize``/``done``/``nextRecordsUrl`` (a relative ``/query/`` path also
  for queryAll); ``SELECT COUNT()``; queryAll also returns deleted rows (``IsDeleted``).
- Bulk API 2.0: ``POST /jobs/query``, ``GET /jobs/query/{id}`` (InProgress, then JobComplete),
  ``GET /jobs/query/{id}/results?maxRecords=&locator=``: CSV with a quoted header, headers
  ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (the literal ``null`` on the last page);
  412 ``JOB_NOT_COMPLETE`` before completion, 409 for another API version.
- Errors are JSON arrays of ``{message, errorCode}``: 401 ``INVALID_SESSION_ID`` for an
  expired token, 403 ``REQUEST_LIMIT_EXCEEDED`` (a fault), 400 ``INVALID_FIELD`` or
  ``MALFORMED_QUERY``.
- Every API response carries ``Sforce-Limit-Info: api-usage=N/100000``.

SOQL is understood only as far as the connector writes it: a field list (relationship fields
like ``SplitType.DeveloperName`` included), one object, and ``AND``-joined comparisons and
``IN`` lists.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import jwt

from integrations.fakes.server import FakeRequest, FakeResponse, FakeServer, Fault

STANDARD_FIELDS: dict[str, set[str]] = {
    "Opportunity": {
        "Id", "AccountId", "OwnerId", "Amount", "CloseDate", "StageName", "IsClosed", "IsWon",
        "Probability", "ForecastCategoryName", "Type", "CurrencyIsoCode", "Name", "IsDeleted",
        "LastModifiedDate", "SystemModstamp", "Pricebook2Id", "RecordTypeId", "FiscalYear",
        "FiscalQuarter",
    },
    "OpportunitySplit": {
        "Id", "OpportunityId", "SplitOwnerId", "SplitPercentage", "SplitAmount", "SplitTypeId",
        "SplitType.DeveloperName", "SplitType.MasterLabel", "SplitNote", "IsDeleted",
        "SystemModstamp",
    },
    "Account": {
        "Id", "Name", "BillingCountry", "Industry", "Type", "IsDeleted", "SystemModstamp",
        "LastModifiedDate",
    },
    "User": {
        "Id", "Name", "Email", "IsActive", "ManagerId", "UserRoleId", "ProfileId",
        "DefaultCurrencyIsoCode", "FederationIdentifier", "EmployeeNumber", "SystemModstamp",
        "LastModifiedDate",
    },
    "CurrencyType": {"Id", "IsoCode", "ConversionRate", "IsCorporate", "IsActive"},
    "DatedConversionRate": {
        "Id", "IsoCode", "ConversionRate", "StartDate", "NextStartDate", "SystemModstamp",
        "LastModifiedDate",
    },
}  # fmt: skip
DELETABLE = {"Opportunity", "OpportunitySplit", "Account"}
ID_PREFIX = {"Opportunity": "006", "OpportunitySplit": "149", "Account": "001", "User": "005"}
_SELECT = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+.+?)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_COMPARE = re.compile(r"^(?P<field>[\w.]+)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<value>.+)$")
_IN = re.compile(r"^(?P<field>[\w.]+)\s+IN\s*\((?P<values>.*)\)$", re.IGNORECASE)


def sf_datetime(moment: datetime) -> str:
    """REST form: ``2013-05-20T20:49:32.000+0000``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def bulk_datetime(moment: datetime) -> str:
    """Bulk 2.0 CSV form: ``2013-05-20T20:49:32.000Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _errors(status: int, code: str, message: str) -> FakeResponse:
    return FakeResponse(status, [{"message": message, "errorCode": code}])


def _literal(text: str) -> Any:
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() == "null":
        return None
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("\\'", "'")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})", text):
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"unexpected literal {text}") from None


def _compare(value: Any, op: str, literal: Any) -> bool:
    if value is None or literal is None:
        return (op == "=") == (value is literal) if op in ("=", "!=") else False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = Decimal(str(value))
    if isinstance(literal, datetime) and isinstance(value, datetime):
        pass
    return {
        ">=": value >= literal,
        "<=": value <= literal,
        ">": value > literal,
        "<": value < literal,
        "=": value == literal,
        "!=": value != literal,
    }[op]


class Soql:
    """A parsed SELECT: fields, object and a record predicate."""

    def __init__(self, text: str, known: set[str]) -> None:
        match = _SELECT.match(text)
        if not match:
            raise _QueryError("MALFORMED_QUERY", f"unexpected token in query: {text[:60]}")
        self.object = match["object"]
        self.count = match["fields"].strip().upper() == "COUNT()"
        self.fields = [] if self.count else [f.strip() for f in match["fields"].split(",")]
        for name in self.fields:
            if name not in known:
                raise _QueryError(
                    "INVALID_FIELD",
                    f"\n{text[:80]}\n^\nERROR at Row:1:Column:8\nNo such column '{name}' on "
                    f"entity '{self.object}'. If you are attempting to use a custom field, be "
                    "sure to append the '__c' after the custom field name.",
                )
        self.conditions: list[tuple[str, str, Any]] = []
        where = match["where"]
        for part in re.split(r"\s+AND\s+", where, flags=re.IGNORECASE) if where else []:
            part = part.strip()
            found = _IN.match(part)
            if found:
                values = [_literal(v) for v in re.findall(r"'(?:[^'\\]|\\.)*'", found["values"])]
                self.conditions.append((found["field"], "IN", values))
                continue
            found = _COMPARE.match(part)
            if not found:
                raise _QueryError("MALFORMED_QUERY", f"unexpected condition: {part}")
            if found["field"] not in known:
                raise _QueryError("INVALID_FIELD", f"No such column '{found['field']}'")
            self.conditions.append((found["field"], found["op"], _literal(found["value"])))

    def admits(self, record: dict[str, Any]) -> bool:
        for name, op, literal in self.conditions:
            value = record.get(name)
            if op == "IN":
                if value not in literal:
                    return False
            elif not _compare(value, op, literal):
                return False
        return True


class _QueryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Job:
    def __init__(self, job_id: str, soql: Soql, rows: Iterator[dict], total: int | None,
                 operation: str, version: str, polls: int) -> None:  # fmt: skip
        self.id, self.soql, self.rows, self.total = job_id, soql, rows, total
        self.operation, self.version, self.polls = operation, version, polls
        self.sent = 0
        self.next_locator: str | None = None
        self.lock = threading.Lock()

    @property
    def state(self) -> str:
        return "InProgress" if self.polls > 0 else "JobComplete"


class SalesforceFake(FakeServer):
    """A fake org; ``records[object]`` holds dicts of field -> Python value."""

    name = "salesforce"

    def __init__(
        self,
        *,
        client_id: str = "demo-client-id",
        client_secret: str = "demo-client-secret",
        username: str | None = None,
        password: str | None = None,
        jwt_public_key: str | None = None,
        api_version: str = "v66.0",
        rest_batch: int = 2_000,
        job_polls: int = 1,
        custom_fields: dict[str, set[str]] | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(port)
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.jwt_public_key = jwt_public_key
        self.api_version = api_version
        self.rest_batch = rest_batch
        self.job_polls = job_polls
        self.records: dict[str, Sequence[dict[str, Any]]] = {k: [] for k in STANDARD_FIELDS}
        self.fields = {k: set(v) for k, v in STANDARD_FIELDS.items()}
        for obj, extra in (custom_fields or {}).items():
            self.fields.setdefault(obj, set()).update(extra)
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.api_calls = 0
        self._cursors: dict[str, tuple[list[dict], Soql]] = {}
        self._jobs: dict[str, _Job] = {}
        self._ids = itertools.count(1)

    # -- data -----------------------------------------------------------------------------------

    def put(self, obj: str, **fields: Any) -> dict[str, Any]:
        """Insert or replace a record by Id (a new Id is made if none is given)."""
        records = self.records.setdefault(obj, [])
        assert isinstance(records, list), "synthetic records are read-only"
        if "Id" not in fields:
            fields["Id"] = f"{ID_PREFIX.get(obj, '0XX')}{next(self._ids):015d}"
        fields.setdefault("SystemModstamp", datetime.now(UTC))
        if obj in DELETABLE:
            fields.setdefault("IsDeleted", False)
        for i, existing in enumerate(records):
            if existing["Id"] == fields["Id"]:
                records[i] = {**existing, **fields}
                return records[i]
        records.append(fields)
        return fields

    def delete(self, obj: str, record_id: str, when: datetime | None = None) -> None:
        self.put(obj, Id=record_id, IsDeleted=True, SystemModstamp=when or datetime.now(UTC))

    def expire_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    @staticmethod
    def request_limit(path: str = "/services/data", times: int = 1) -> Fault:
        """The daily API limit, as Salesforce answers it (HTTP 403)."""
        body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        return Fault("status", path=path, times=times, status=403, body=body)

    # -- routing --------------------------------------------------------------------------------

    def decorate(self, request: FakeRequest, response: FakeResponse) -> None:
        if request.path.startswith("/services/data"):
            response.headers.setdefault("Sforce-Limit-Info", f"api-usage={self.api_calls}/100000")

    def route(self, request: FakeRequest) -> FakeResponse:
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        match = re.match(r"^/services/data/(v\d+\.\d)/(.*)$", request.path)
        if not match:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        with self._lock:
            self.api_calls += 1
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        version, tail = match.groups()
        try:
            if tail in ("query", "queryAll") and request.method == "GET":
                return self._query(version, request.query.get("q", ""), tail == "queryAll")
            cursor = re.match(r"^query/([\w]+-\d+)$", tail)
            if cursor and request.method == "GET":
                return self._more(version, cursor.group(1))
            if tail == "jobs/query" and request.method == "POST":
                return self._create_job(version, request.json())
            job = re.match(r"^jobs/query/(\w+)(/results)?$", tail)
            if job and request.method == "GET":
                if job.group(2):
                    return self._results(version, job.group(1), request.query)
                return self._job_info(job.group(1))
        except _QueryError as exc:
            return _errors(400, exc.code, exc.message)
        return _errors(404, "NOT_FOUND", "The requested resource does not exist")

    # -- tokens ---------------------------------------------------------------------------------

    def _token(self, request: FakeRequest) -> FakeResponse:
        with self._lock:
            self.token_requests += 1
        form = request.form()
        grant = form.get("grant_type")
        ok = False
        if grant == "client_credentials":
            ok = (form.get("client_id"), form.get("client_secret")) == (
                self.client_id,
                self.client_secret,
            )
        elif grant == "password":
            ok = (
                form.get("client_id") == self.client_id
                and form.get("client_secret") == self.client_secret
                and form.get("username") == self.username
                and form.get("password") == self.password
            )
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            ok = self._jwt_ok(form.get("assertion", ""))
            if not ok:
                return FakeResponse(
                    400, {"error": "invalid_grant", "error_description": "invalid assertion"}
                )
        else:
            return FakeResponse(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
            )
        if not ok:
            return FakeResponse(
                400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            )
        org = "00Dxx0000000123"
        token = f"{org}!AR8AQ{secrets.token_urlsafe(24)}"
        with self._lock:
            self.tokens.add(token)
        return FakeResponse(
            200,
            {
                "access_token": token,
                "scope": "api",
                "instance_url": self.url,
                "id": f"https://login.salesforce.com/id/{org}AAA/005xx000000456AAA",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": secrets.token_urlsafe(32),
            },
        )

    def _jwt_ok(self, assertion: str) -> bool:
        if not self.jwt_public_key:
            return False
        try:
            claims = jwt.decode(
                assertion,
                self.jwt_public_key,
                algorithms=["RS256"],
                audience=[self.url, "https://login.salesforce.com", "https://test.salesforce.com"],
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
        except jwt.PyJWTError:
            return False
        return claims["iss"] == self.client_id and claims["sub"] == self.username

    # -- REST query -------------------------------------------------------------------------------

    def _parse(self, text: str) -> Soql:
        match = _SELECT.match(text)
        if not match:
            raise _QueryError("MALFORMED_QUERY", f"unexpected token in query: {text[:60]}")
        known = self.fields.get(match["object"])
        if known is None:
            raise _QueryError(
                "INVALID_TYPE",
                f"sObject type '{match['object']}' is not supported. If you are attempting to "
                "use a "
                "custom object, be sure to append the '__c' after the entity name.",
            )
        return Soql(text, known)

    def _matching(self, soql: Soql, all_rows: bool) -> Iterator[dict[str, Any]]:
        for record in self.records.get(soql.object, []):
            if not all_rows and record.get("IsDeleted"):
                continue
            if soql.admits(record):
                yield record

    def _query(self, version: str, text: str, all_rows: bool) -> FakeResponse:
        soql = self._parse(text)
        if soql.count:
            records = self.records.get(soql.object, [])
            if all_rows and not soql.conditions:
                total = len(records)
            else:
                total = sum(1 for _ in self._matching(soql, all_rows))
            return FakeResponse(200, {"totalSize": total, "done": True, "records": []})
        rows = list(self._matching(soql, all_rows))
        locator = f"01gRO{secrets.token_hex(6).upper()}"
        with self._lock:
            self._cursors[locator] = (rows, soql)
        return self._batch(version, locator, 0)

    def _more(self, version: str, cursor: str) -> FakeResponse:
        locator, _, position = cursor.rpartition("-")
        if locator not in self._cursors:
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._batch(version, locator, int(position))

    def _batch(self, version: str, locator: str, start: int) -> FakeResponse:
        rows, soql = self._cursors[locator]
        stop = start + self.rest_batch
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": stop >= len(rows),
            "records": [self._json_record(soql, r, version) for r in rows[start:stop]],
        }
        if stop < len(rows):
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{stop}"
        return FakeResponse(200, body)

    def _json_record(self, soql: Soql, record: dict[str, Any], version: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {
                "type": soql.object,
                "url": f"/services/data/{version}/sobjects/{soql.object}/{record.get('Id')}",
            }
        }
        for name in soql.fields:
            value = _json_value(record.get(name))
            if "." in name:
                parent, child = name.split(".", 1)
                holder = out.get(parent)
                if value is None and holder is None:
                    out[parent] = None
                    continue
                if holder is None:
                    holder = out[parent] = {"attributes": {"type": f"{parent}"}}
                holder[child] = value
            else:
                out[name] = value
        return out

    # -- Bulk API 2.0 ----------------------------------------------------------------------------

    def _create_job(self, version: str, body: dict[str, Any]) -> FakeResponse:
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            return _errors(400, "INVALIDJOB", f"Invalid operation: {operation}")
        soql = self._parse(body.get("query", ""))
        records = self.records.get(soql.object, [])
        total = len(records) if not soql.conditions and operation == "queryAll" else None
        rows = self._matching(soql, operation == "queryAll")
        job_id = f"750R{secrets.token_hex(7).upper()}"
        job = _Job(job_id, soql, rows, total, operation, version, self.job_polls)
        with self._lock:
            self._jobs[job_id] = job
        return FakeResponse(200, self._job_body(job))

    def _job_body(self, job: _Job) -> dict[str, Any]:
        body = {
            "id": job.id,
            "operation": job.operation,
            "object": job.soql.object,
            "createdById": "005xx000000456AAA",
            "createdDate": sf_datetime(datetime.now(UTC)),
            "systemModstamp": sf_datetime(datetime.now(UTC)),
            "state": "UploadComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(job.version[1:]),
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        return body

    def _job_info(self, job_id: str) -> FakeResponse:
        job = self._jobs.get(job_id)
        if job is None:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        with job.lock:
            if job.polls > 0:
                job.polls -= 1
                state = "InProgress"
            else:
                state = "JobComplete"
        body = {**self._job_body(job), "state": state, "retries": 0, "totalProcessingTime": 42}
        if state == "JobComplete" and job.total is not None:
            body["numberRecordsProcessed"] = job.total
        return FakeResponse(200, body)

    def _results(self, version: str, job_id: str, query: dict[str, str]) -> FakeResponse:
        job = self._jobs.get(job_id)
        if job is None:
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        if version != job.version:
            return _errors(409, "API_VERSION_MISMATCH", "Call with the job's API version")
        if job.polls > 0:
            return _errors(412, "JOB_NOT_COMPLETE", "The job is not yet complete")
        size = int(query.get("maxRecords") or 50_000)
        with job.lock:
            if query.get("locator") != job.next_locator:
                return _errors(400, "INVALID_LOCATOR", "the locator is not the next one")
            page = list(itertools.islice(job.rows, size))
            more = next(job.rows, None)
            if more is not None:
                job.rows = itertools.chain([more], job.rows)
                job.sent += len(page)
                job.next_locator = f"{job.sent:08d}{secrets.token_hex(2)}"
            else:
                job.next_locator = "null"
        return FakeResponse(
            200,
            _csv(job.soql.fields, page),
            {"Sforce-NumberOfRecords": str(len(page)), "Sforce-Locator": job.next_locator},
            content_type="text/csv",
        )


class SyntheticOpportunities(Sequence[dict[str, Any]]):
    """``count`` generated opportunities, made on demand (benchmarks: never all in memory)."""

    STAGES = ("Prospecting", "Negotiation", "Closed Won", "Closed Lost")
    TYPES = ("New Customer", "Existing Customer - Upgrade", "Renewal")
    START = datetime(2025, 1, 1, tzinfo=UTC)

    def __init__(self, count: int) -> None:
        self.count = count
        self._days = [date.fromordinal(self.START.date().toordinal() + d) for d in range(730)]

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        if not 0 <= index < self.count:
            raise IndexError(index)
        stage = self.STAGES[index % 4]
        cents = 100_000 + (index * 7919) % 50_000_000
        return {
            "Id": f"006{index:015d}",
            "AccountId": f"001{index % 50_000:015d}",
            "OwnerId": f"005{index % 2_000:015d}",
            "Amount": f"{cents // 100}.{cents % 100:02d}",
            "CurrencyIsoCode": ("USD", "EUR", "GBP")[index % 3],
            "CloseDate": self._days[index % 730],
            "StageName": stage,
            "IsClosed": stage.startswith("Closed"),
            "IsWon": stage == "Closed Won",
            "Probability": ("10", "75", "100", "0")[index % 4],
            "ForecastCategoryName": ("Pipeline", "Commit", "Closed", "Omitted")[index % 4],
            "Type": self.TYPES[index % 3],
            "IsDeleted": index % 997 == 0,
            "SystemModstamp": self.START + timedelta(seconds=index * 30),
        }

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(self.count))


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return sf_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return bulk_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(fields: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_csv_value(row.get(f)) for f in fields])
    return out.getvalue().encode("utf-8")
