"""The HTTP client every connector shares: httpx with tenacity retries and one error line.

Retried, with exponential backoff and full jitter (``Retry-After`` honoured when sent): 429,
500/502/503/504/524, 423 (a locked record), what a vendor marks as a rate or concurrency limit
(Salesforce 403 ``REQUEST_LIMIT_EXCEEDED``, NetSuite concurrency errors), timeouts and dropped
connections. A 401 gets one fresh token and one more try. Every request has a bounded total time
(``max_retry_seconds``); past it, or on any other error, :class:`SourceError` says in one line
which source and object failed, why, and what to do. Messages never carry a secret.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_before_delay,
    wait_random_exponential,
)

from integrations.secrets import redact

LOG = logging.getLogger("openspm.connectors")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 524})
USER_AGENT = "openspm-connector/0.1"


class SourceError(RuntimeError):
    """A pull failed; ``str()`` is one line naming source, object and cause."""

    def __init__(self, source: str, obj: str | None, cause: str) -> None:
        self.source, self.obj = source, obj
        self.cause = redact(" ".join(str(cause).split()))
        where = f"{source} {obj}" if obj else source
        super().__init__(f"{where}: {self.cause}")


@dataclass(frozen=True)
class Verdict:
    """How a failed response is treated: retried (after at least ``wait`` s) or not."""

    retry: bool
    reason: str  # e.g. 'HTTP 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded."'
    advice: str = ""  # what the operator can do when it is final
    wait: float = 0.0


class Auth(Protocol):
    """Adds credentials to a request; ``refresh`` gets a new token after a 401."""

    def apply(self, request: httpx.Request) -> None: ...

    def refresh(self) -> None: ...


class NoAuth:
    def apply(self, request: httpx.Request) -> None:
        return None

    def refresh(self) -> None:
        return None


class _Retryable(Exception):
    def __init__(self, verdict: Verdict, retry_after: float | None) -> None:
        super().__init__(verdict.reason)
        self.verdict, self.retry_after = verdict, retry_after


class _Final(Exception):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


Classifier = Callable[[httpx.Response], Verdict | None]


def error_text(response: httpx.Response, limit: int = 300) -> str:
    """The vendor's own words from an error body (JSON arrays, objects, RFC 7807), one line."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        text = response.text.strip()
        return " ".join(text.split())[:limit]
    parts: list[str] = []

    def collect(item: Any) -> None:
        if isinstance(item, dict):
            details = item.get("o:errorDetails")
            if isinstance(details, list):
                for d in details[:2]:
                    collect(d)
            for key in ("o:errorCode", "errorCode", "errorType", "category", "error"):
                if isinstance(item.get(key), str):
                    parts.append(item[key])
                    break
            for key in ("message", "detail", "error_description", "title"):
                if isinstance(item.get(key), str):
                    parts.append(json.dumps(item[key]))
                    break
        elif isinstance(item, list):
            for entry in item[:2]:
                collect(entry)

    collect(body)
    text = " ".join(parts) or " ".join(response.text.split())
    return text[:limit]


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if the response sent one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def default_verdict(response: httpx.Response) -> Verdict:
    """The generic rule: 429, 5xx gateways and 423 retry; any other error is final."""
    status = response.status_code
    reason = f"HTTP {status} {error_text(response)}".strip()
    if status in RETRY_STATUSES:
        return Verdict(True, reason)
    if status == 423:  # a locked record (HubSpot): wait at least 2 s
        return Verdict(True, reason, wait=2.0)
    if status == 403:
        return Verdict(False, reason, "check that the integration user may read this object")
    if status == 404:
        return Verdict(False, reason, "check base_url and the API path or version")
    return Verdict(False, reason)


class SourceHttp:
    """One source's HTTP session: base URL, credentials, retries, time bound, error wording."""

    def __init__(
        self,
        source: str,
        base_url: str,
        *,
        auth: Auth | None = None,
        classify: Classifier | None = None,
        timeout: float = 120.0,
        max_retry_seconds: float = 900.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 120.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.auth: Auth = auth or NoAuth()
        self.classify = classify
        self.max_retry_seconds = max_retry_seconds
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.requests = 0
        self.retries = 0
        self.client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> SourceHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------------

    def request(
        self, method: str, url: str, *, obj: str | None = None, authenticate: bool = True, **kw: Any
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise SourceError."""
        started = time.monotonic()
        refreshed = False

        def attempt() -> httpx.Response:
            nonlocal refreshed
            request = self.client.build_request(method, url, **kw)
            if authenticate:
                self.auth.apply(request)
            self.requests += 1
            try:
                response = self.client.send(request)
            except httpx.TimeoutException as exc:
                raise _Retryable(Verdict(True, f"timed out ({type(exc).__name__})"), None) from exc
            except httpx.TransportError as exc:
                cause = str(exc) or type(exc).__name__
                raise _Retryable(Verdict(True, f"connection failed: {cause}"), None) from exc
            if response.is_success:
                return response
            response.read()
            if response.status_code == 401 and authenticate:
                verdict = self._verdict(response)
                if not refreshed:
                    refreshed = True
                    LOG.info("%s %s: HTTP 401, fetching a fresh token", self.source, obj or "")
                    self.auth.refresh()
                    raise _Retryable(Verdict(True, verdict.reason), 0.0)
                raise _Final(
                    Verdict(
                        False,
                        verdict.reason,
                        "refused again after a fresh token: check the credentials and the "
                        "integration user's access",
                    )
                )
            verdict = self._verdict(response)
            if verdict.retry:
                raise _Retryable(verdict, retry_after_seconds(response))
            raise _Final(verdict)

        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_before_delay(self.max_retry_seconds),
            wait=self._wait,
            before_sleep=lambda state: self._note_retry(state, obj),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Retryable as exc:
            tries = self.retries
            seconds = time.monotonic() - started
            raise SourceError(
                self.source,
                obj,
                f"{exc.verdict.reason}; gave up after {seconds:.0f} s "
                f"(max_retry_seconds {self.max_retry_seconds:g}, {tries} retries so far); "
                f"{exc.verdict.advice or 'the service kept failing: try again later'}",
            ) from None
        except _Final as exc:
            advice = f"; {exc.verdict.advice}" if exc.verdict.advice else ""
            raise SourceError(self.source, obj, f"{exc.verdict.reason}{advice}") from None

    def get(self, url: str, *, obj: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("GET", url, obj=obj, **kw)

    def post(self, url: str, *, obj: str | None = None, **kw: Any) -> httpx.Response:
        return self.request("POST", url, obj=obj, **kw)

    # -- internals -----------------------------------------------------------------------------

    def _verdict(self, response: httpx.Response) -> Verdict:
        verdict = self.classify(response) if self.classify else None
        return verdict or default_verdict(response)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        jitter = wait_random_exponential(multiplier=self.backoff_initial, max=self.backoff_max)
        seconds = jitter(state)
        if isinstance(exc, _Retryable):
            if exc.retry_after is not None:
                return exc.retry_after
            seconds = max(seconds, exc.verdict.wait)
        return seconds

    def _note_retry(self, state: RetryCallState, obj: str | None) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.verdict.reason if isinstance(exc, _Retryable) else repr(exc)
        wait = state.next_action.sleep if state.next_action else 0.0
        LOG.warning(
            "%s",
            redact(
                f"{self.source} {obj or ''}: {reason}; retry {state.attempt_number} in {wait:.1f} s"
            ),
        )


def json_body(response: httpx.Response) -> Any:
    """JSON with numbers kept as their text (money stays exact; ids stay as sent)."""
    return json.loads(response.content, parse_float=str, parse_int=str)
