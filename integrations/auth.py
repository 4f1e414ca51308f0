"""Credential schemes shared by connectors: a static bearer token, HTTP Basic, OAuth tokens."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable

import httpx

from integrations.secrets import Secret, remember


class BearerAuth:
    """``Authorization: Bearer <token>`` with a fixed token (HubSpot service keys, Workday)."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"

    def refresh(self) -> None:
        return None  # nothing to refresh: a second 401 is final


class BasicAuth:
    """HTTP Basic (BambooHR: the API key as user name and ``x`` as password; Workday ISU)."""

    def __init__(self, user: Secret, password: Secret | str) -> None:
        secret = password.reveal() if isinstance(password, Secret) else password
        raw = f"{user.reveal()}:{secret}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode()
        remember(self._header.removeprefix("Basic "))

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = self._header

    def refresh(self) -> None:
        return None


class TokenAuth:
    """An OAuth access token fetched on first use and again after a 401.

    ``fetch`` returns the token (and may record other fields of the token response, e.g.
    Salesforce's instance_url).
    """

    def __init__(self, fetch: Callable[[], str]) -> None:
        self._fetch = fetch
        self._token: str | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
                self.fetches += 1
                remember(self._token)
            return self._token

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self.token()}"

    def refresh(self) -> None:
        with self._lock:
            self._token = None
