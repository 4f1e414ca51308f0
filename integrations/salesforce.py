"""Salesforce: REST query/queryAll with nextRecordsUrl for small pulls, Bulk API 2.0 above.

Objects (docs/connectors.md has the full field mapping):

- ``Opportunity`` -> crm/deals, ``OpportunitySplit`` -> crm/deal_splits (Revenue and Overlay
  split types), ``Account`` -> crm/accounts, ``User`` -> crm/users, and with ``fx_rates: true``
  ``DatedConversionRate`` -> erp/fx_rates.
- Deleted records come from queryAll (``IsDeleted``), so deletions land as ``is_deleted``.
- Increments filter ``SystemModstamp >= watermark - overlap`` (ties are never skipped).
- A pull first counts its records (``SELECT COUNT()``); above ``bulk_threshold`` it runs a
  Bulk 2.0 ``queryAll`` job and streams the CSV result pages (``Sforce-Locator``) one at a time.

Tokens: OAuth client credentials (to the org's My Domain), JWT bearer (RS256, PyJWT) or the
legacy username-password flow, at ``{auth_url}/services/oauth2/token``; a 401 gets one fresh
token. A 403 ``REQUEST_LIMIT_EXCEEDED`` is retried with backoff (the shared client).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import jwt
import pyarrow as pa
import pyarrow.csv as pacsv

from integrations.auth import TokenAuth
from integrations.base import Connector, SourceObject
from integrations.http import SourceError, SourceHttp, Verdict, error_text, json_body
from integrations.mapping import ObjectMapping, records_table, text_column

DEAL_TYPES = {
    "New Customer": "new_business",
    "New Business": "new_business",
    "Existing Customer - Upgrade": "expansion",
    "Existing Business": "expansion",
    "Upsell": "expansion",
    "Expansion": "expansion",
    "Renewal": "renewal",
    "Existing Customer - Replacement": "renewal",
}
SPLIT_TYPES = {"Revenue": "revenue", "Overlay": "overlay"}
EMPLOYEE_MATCH = "employee.match"  # computed: EmployeeNumber, FederationIdentifier, then Email
CORPORATE = "corporate.IsoCode"  # computed: the org's corporate currency
BULK_PAGE = 100_000
REST_PAGE = 2_000
JOB_POLL_MAX = 10.0  # seconds between polls of a Bulk job, at most

OBJECTS = (
    SourceObject(
        "Opportunity",
        "crm/deals",
        {
            "deal_id": "Id",
            "account_id": "AccountId",
            "owner_id": "OwnerId",
            "deal_type": "Type",
            "stage": "StageName",
            "is_won": "IsWon",
            "close_date": "CloseDate",
            "amount": "Amount",
            "currency": "CurrencyIsoCode",
            "is_closed": "IsClosed",
            "probability": "Probability",
            "forecast_category": "ForecastCategoryName",
            "modified_at": "SystemModstamp",
            "is_deleted": "IsDeleted",
        },
        {"deal_type": DEAL_TYPES},
        cursor="SystemModstamp",
    ),
    SourceObject(
        "OpportunitySplit",
        "crm/deal_splits",
        {
            "split_id": "Id",
            "deal_id": "OpportunityId",
            "owner_id": "SplitOwnerId",
            "split_type": "SplitType.DeveloperName",
            "split_percent": "SplitPercentage",
            "modified_at": "SystemModstamp",
            "is_deleted": "IsDeleted",
        },
        {"split_type": SPLIT_TYPES},
        cursor="SystemModstamp",
    ),
    SourceObject(
        "Account",
        "crm/accounts",
        {
            "account_id": "Id",
            "name": "Name",
            "country": "BillingCountry",
            "industry": "Industry",
            "modified_at": "SystemModstamp",
            "is_deleted": "IsDeleted",
        },
        cursor="SystemModstamp",
        uses_since=False,
    ),
    SourceObject(
        "User",
        "crm/users",
        {
            "user_id": "Id",
            "employee_id": EMPLOYEE_MATCH,
            "email": "Email",
            "modified_at": "SystemModstamp",
        },
        cursor="SystemModstamp",
        uses_since=False,
    ),
)
FX_OBJECT = SourceObject(
    "DatedConversionRate",
    "erp/fx_rates",
    {
        "rate_date": "StartDate",
        "from_currency": CORPORATE,
        "to_currency": "IsoCode",
        "rate": "ConversionRate",
    },
    cursor="SystemModstamp",
    uses_since=False,
)
USER_QUERY_FIELDS = ("Id", "Email", "EmployeeNumber", "FederationIdentifier", "SystemModstamp")
COMPUTED = {EMPLOYEE_MATCH, CORPORATE}


def classify(response: httpx.Response) -> Verdict | None:
    """Salesforce's error array: the daily limit (403) and long transactions retry."""
    text = error_text(response)
    reason = f"HTTP {response.status_code} {text}"
    if response.status_code == 403 and (
        "REQUEST_LIMIT_EXCEEDED" in text or "ConcurrentPerOrgLongTxn" in text
    ):
        return Verdict(
            True,
            reason,
            "the org's API request limit is used up: wait for it to reset, or raise the "
            "limit, then pull again",
        )
    if response.status_code == 400 and ("INVALID_FIELD" in text or "INVALID_TYPE" in text):
        return Verdict(
            False,
            reason,
            "a queried field or object is missing or not readable: check fields: in "
            "openspm.yaml and the integration user's field-level security",
        )
    if response.status_code in (400, 401) and ("invalid_grant" in text or "invalid_client" in text):
        return Verdict(
            False,
            reason,
            "the token request was refused: check client id and secret (or key), the "
            "connected app's OAuth policies and the user's approval",
        )
    return None


def soql_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceConnector(Connector):
    kind = "salesforce"

    def objects(self) -> list[SourceObject]:
        objects = list(OBJECTS)
        if self.settings.delivers_fx:
            objects.append(FX_OBJECT)
        return objects

    # -- session and tokens -------------------------------------------------------------------

    def make_http(self) -> SourceHttp:
        self.instance_url = self.settings.base_url or ""
        self.token_auth = TokenAuth(self._fetch_token)
        return SourceHttp(
            self.label,
            self.settings.base_url or "",
            auth=self.token_auth,
            classify=classify,
            **self.http_options(),
        )

    @property
    def api(self) -> str:
        return f"/services/data/{self.settings.salesforce_api}"

    def _fetch_token(self) -> str:
        token_host = self.settings.auth_url or self.settings.base_url or ""
        url = f"{token_host}/services/oauth2/token"
        method = self.method
        if method == "client_credentials":
            form = {
                "grant_type": "client_credentials",
                "client_id": self.secret("client_id").reveal(),
                "client_secret": self.secret("client_secret").reveal(),
            }
        elif method == "jwt_bearer":
            now = int(time.time())
            claims = {
                "iss": self.secret("client_id").reveal(),
                "sub": self.secret("username").reveal(),
                "aud": token_host,
                "exp": now + 180,
            }
            assertion = jwt.encode(claims, self.secret("private_key").reveal(), algorithm="RS256")
            form = {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion,
            }
        else:  # password: legacy, kept for orgs that still allow it
            form = {
                "grant_type": "password",
                "client_id": self.secret("client_id").reveal(),
                "client_secret": self.secret("client_secret").reveal(),
                "username": self.secret("username").reveal(),
                "password": self.secret("password").reveal(),
            }
        response = self.http.post(url, obj="token", data=form, authenticate=False)
        body = json_body(response)
        token = body.get("access_token")
        if not token:
            raise SourceError(self.label, "token", "the token response holds no access_token")
        self.instance_url = str(body.get("instance_url") or self.instance_url).rstrip("/")
        return str(token)

    def _url(self, path: str) -> str:
        self.token_auth.token()  # the instance URL comes with the token
        return f"{self.instance_url}{path}"

    # -- fetching -----------------------------------------------------------------------------

    def fetch(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        if obj.name == "DatedConversionRate":
            yield from self._fetch_rates(obj, mapping, since)
            return
        fields = self._query_fields(obj, mapping)
        where = self._where(obj, since, mapping)
        soql = f"SELECT {', '.join(fields)} FROM {obj.name}{where}"
        count = self._count(obj, where)
        pages = (
            self._bulk(obj.name, soql, fields)
            if count > self.settings.bulk_threshold
            else self._rest(obj.name, soql, fields)
        )
        for page in pages:
            yield self._complete(obj, page)

    def _query_fields(self, obj: SourceObject, mapping: ObjectMapping) -> list[str]:
        fields = [f for f in mapping.source_fields if f not in COMPUTED]
        if obj.name == "User":
            fields += [f for f in USER_QUERY_FIELDS if f not in fields]
        if self.settings.default_currency and "CurrencyIsoCode" in fields:
            fields.remove("CurrencyIsoCode")  # a single-currency org has no such field
        if obj.cursor and obj.cursor not in fields:
            fields.append(obj.cursor)
        if "Id" not in fields and obj.name != "DatedConversionRate":
            fields.insert(0, "Id")
        return fields

    def _where(self, obj: SourceObject, since: datetime | None, mapping: ObjectMapping) -> str:
        clauses = []
        if since is not None and obj.cursor:
            clauses.append(f"{obj.cursor} >= {soql_datetime(since)}")
        if obj.name == "OpportunitySplit":
            names = mapping.values.get("split_type", {})
            quoted = ", ".join("'" + n.replace("'", "\\'") + "'" for n in names)
            clauses.append(f"SplitType.DeveloperName IN ({quoted})")
        return f" WHERE {' AND '.join(clauses)}" if clauses else ""

    def _count(self, obj: SourceObject, where: str) -> int:
        response = self.http.get(
            self._url(f"{self.api}/queryAll"),
            obj=obj.name,
            params={"q": f"SELECT COUNT() FROM {obj.name}{where}"},
        )
        return int(json_body(response).get("totalSize", 0))

    def _rest(self, name: str, soql: str, fields: list[str]) -> Iterator[pa.Table]:
        """queryAll (deleted rows too), following nextRecordsUrl until done."""
        response = self.http.get(self._url(f"{self.api}/queryAll"), obj=name, params={"q": soql})
        while True:
            body = json_body(response)
            records = body.get("records") or []
            if records:
                yield records_table(records, fields)
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            response = self.http.get(self._url(next_url), obj=name)

    def _bulk(self, name: str, soql: str, fields: list[str]) -> Iterator[pa.Table]:
        """A Bulk API 2.0 queryAll job: create, poll, then stream CSV pages by locator."""
        created = self.http.post(
            self._url(f"{self.api}/jobs/query"),
            obj=name,
            json={"operation": "queryAll", "query": soql, "contentType": "CSV"},
        )
        job = str(json_body(created)["id"])
        self._wait_for_job(name, job)
        size = self.page_size(BULK_PAGE, 1_000_000)
        locator: str | None = None
        options = pacsv.ConvertOptions(
            column_types=dict.fromkeys(fields, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        while True:
            params: dict[str, str | int] = {"maxRecords": size}
            if locator:
                params["locator"] = locator
            response = self.http.get(
                self._url(f"{self.api}/jobs/query/{job}/results"),
                obj=name,
                params=params,
                headers={"Accept": "text/csv"},
            )
            if response.content.strip():
                table = pacsv.read_csv(io.BytesIO(response.content), convert_options=options)
                yield table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    def _wait_for_job(self, name: str, job: str) -> None:
        pause = 0.2
        deadline = time.monotonic() + max(self.settings.max_retry_seconds, 60.0) * 4
        while True:
            state = json_body(self.http.get(self._url(f"{self.api}/jobs/query/{job}"), obj=name))
            status = state.get("state")
            if status == "JobComplete":
                return
            if status in ("Failed", "Aborted"):
                raise SourceError(
                    self.label,
                    name,
                    f"Bulk API 2.0 job {job} {status.lower()}: "
                    f"{state.get('errorMessage') or 'no message'}",
                )
            if time.monotonic() > deadline:
                raise SourceError(self.label, name, f"Bulk API 2.0 job {job} did not finish")
            time.sleep(pause)
            pause = min(pause * 2, JOB_POLL_MAX)

    def _complete(self, obj: SourceObject, page: pa.Table) -> pa.Table:
        """Add the computed columns: a user's employee, a default currency."""
        if obj.name == "User":
            numbers = page["EmployeeNumber"].to_pylist()
            federation = page["FederationIdentifier"].to_pylist()
            emails = page["Email"].to_pylist()
            matched = [
                self.directory.match(("id", n), ("id", f), ("email", e))
                for n, f, e in zip(numbers, federation, emails, strict=True)
            ]
            page = page.append_column(EMPLOYEE_MATCH, text_column(matched))
        if self.settings.default_currency and "CurrencyIsoCode" not in page.column_names:
            constant = [self.settings.default_currency] * page.num_rows
            page = page.append_column("CurrencyIsoCode", text_column(constant))
        return page

    def _fetch_rates(
        self, obj: SourceObject, mapping: ObjectMapping, since: datetime | None
    ) -> Iterator[pa.Table]:
        corporate = self._corporate_currency()
        fields = self._query_fields(obj, mapping)
        where = self._where(obj, since, mapping)
        soql = f"SELECT {', '.join(fields)} FROM DatedConversionRate{where}"
        for page in self._rest(obj.name, soql, fields):
            keep = [code != corporate for code in page["IsoCode"].to_pylist()]
            page = page.filter(pa.array(keep))
            yield page.append_column(CORPORATE, text_column([corporate] * page.num_rows))

    def _corporate_currency(self) -> str:
        soql = "SELECT IsoCode FROM CurrencyType WHERE IsCorporate = true"
        response = self.http.get(
            self._url(f"{self.api}/query"), obj="CurrencyType", params={"q": soql}
        )
        records = json_body(response).get("records") or []
        if not records:
            raise SourceError(
                self.label,
                "CurrencyType",
                "no corporate currency found: fx rates need a multi-currency org "
                "(or set fx_rates: false and drop rates as files)",
            )
        return str(records[0]["IsoCode"])
