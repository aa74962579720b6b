"""Credentials in request metadata: recorded as placeholders, supplied again at replay.

A conversation never holds a secret. ``protokit record`` keeps every request metadata key the
client sent but writes the value of a credential key (``authorization``, ``cookie``...) as a
placeholder naming an environment variable: ``"authorization": "Bearer ${SERVICES_TOKEN}"``
(the scheme is kept, the token is not). ``SERVICES_TOKEN`` is the variable the services'
``--token`` option reads, so the token a server is started with is the one replay sends.
Replay fills placeholders from the environment (or from the harness, which starts a
token-protected server when a case carries credentials); an unset variable leaves the key out
and the mismatch names it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "SECRET_KEYS",
    "TOKEN_ENV",
    "Resolved",
    "literal_secret",
    "placeholders",
    "redact",
    "resolve",
]

#: The variable an ``authorization`` placeholder names (the services' ``--token`` default).
TOKEN_ENV = "SERVICES_TOKEN"
#: Request metadata keys whose values are credentials.
SECRET_KEYS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
_PLACEHOLDER = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9_-]*) ")


def _variable(key: str) -> str:
    if key == "authorization":
        return TOKEN_ENV
    return "PROTOKIT_SECRET_" + re.sub(r"[^A-Z0-9]", "_", key.upper())


def redact(key: str, value: str) -> str:
    """The value a conversation keeps for ``key``: a placeholder when it is a credential."""
    if key.lower() not in SECRET_KEYS:
        return value
    scheme = _SCHEME.match(value) if key.lower().endswith("authorization") else None
    return f"{scheme.group(1) + ' ' if scheme else ''}${{{_variable(key.lower())}}}"


def literal_secret(key: str, value: str) -> bool:
    """Whether a credential key holds a value rather than a placeholder (a file must not)."""
    return key.lower() in SECRET_KEYS and not _PLACEHOLDER.search(value)


def placeholders(metadata: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The environment variables ``metadata`` names, in order, without repeats."""
    names: dict[str, None] = {}
    for _, value in metadata:
        names.update(dict.fromkeys(_PLACEHOLDER.findall(value)))
    return tuple(names)


@dataclass(frozen=True)
class Resolved:
    metadata: tuple[tuple[str, str], ...]  # what is sent
    missing: tuple[tuple[str, str], ...]  # (key, variable) left out: the variable is not set

    def note(self) -> str:
        """What a mismatch adds when credentials were left out ("" when none were)."""
        if not self.missing:
            return ""
        key, variable = self.missing[0]
        return f"; the case sends {key} from ${variable}, which is not set"


def resolve(metadata: Sequence[tuple[str, str]], env: Mapping[str, str]) -> Resolved:
    """``metadata`` with placeholders filled from ``env``; a key whose variable is unset is
    left out (sending the placeholder itself would only hide why the call was refused)."""
    sent: list[tuple[str, str]] = []
    missing: list[tuple[str, str]] = []
    for key, value in metadata:
        unset = [name for name in _PLACEHOLDER.findall(value) if not env.get(name)]
        if unset:
            missing.append((key, unset[0]))
            continue
        sent.append((key, _PLACEHOLDER.sub(lambda m: env[m.group(1)], value)))
    return Resolved(tuple(sent), tuple(missing))
