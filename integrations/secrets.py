"""Credentials of a source: ``${ENV_VAR}`` references resolved at pull time, never shown.

openspm.yaml holds only references (docs/contract.md section 2). A resolved value lives in a
:class:`Secret`, whose ``repr`` and ``str`` hide it, and every value is registered with
:func:`redact` so that no error message or log line can carry it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from openspm.source_settings import ENV_REFERENCE

_KNOWN: set[str] = set()
_LOCK = threading.Lock()
MASK = "[secret]"


class SecretError(RuntimeError):
    """A secret cannot be resolved; the message names the key and the variable, not a value."""


class Secret:
    """A credential value that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        remember(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret([hidden])"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


def remember(value: str) -> None:
    """Register a value (a credential or an access token) for redaction."""
    if value and len(value) >= 4:
        with _LOCK:
            _KNOWN.add(value)


def redact(text: str) -> str:
    """``text`` with every registered secret value replaced by ``[secret]``."""
    with _LOCK:
        known = sorted(_KNOWN, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


def resolve_auth(
    auth: Mapping[str, str], key_path: str, root: Path, environ: Mapping[str, str] | None = None
) -> dict[str, Secret | str]:
    """``method`` as text and every other key as a Secret read from its environment variable.

    A key ending in ``_file`` is a path (relative to the workspace ``root``): the file's content
    becomes the Secret under the key without ``_file`` (``private_key_file`` -> ``private_key``).
    """
    env = os.environ if environ is None else environ
    resolved: dict[str, Secret | str] = {"method": auth.get("method", "")}
    for key, reference in auth.items():
        if key == "method":
            continue
        if key.endswith("_file"):
            path = Path(os.path.expandvars(reference)).expanduser()
            path = path if path.is_absolute() else root / path
            try:
                resolved[key.removesuffix("_file")] = Secret(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise SecretError(
                    f"{key_path}.{key}: cannot read the key file {path}: {exc.strerror}"
                ) from None
            continue
        match = ENV_REFERENCE.match(reference)
        if match is None:  # settings refuse this; kept as a guard
            raise SecretError(f"{key_path}.{key}: not an ${{ENV_VAR}} reference")
        variable = match.group(1)
        value = env.get(variable)
        if not value:
            raise SecretError(
                f"{key_path}.{key}: the environment variable {variable} is not set; "
                "export it before pulling"
            )
        resolved[key] = Secret(value)
    return resolved


class RedactingFilter(logging.Filter):
    """Replaces registered secret values in a log record's message (defence in depth)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
