"""Bearer-token checking shared by the sync and asyncio interceptors."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

#: Methods anyone may call without a token: load balancers and orchestrators probe health.
PUBLIC_PREFIXES: tuple[str, ...] = ("/grpc.health.v1.Health/",)


class TokenChecker:
    """Compares the ``authorization`` metadata with ``Bearer <token>`` in constant time."""

    def __init__(self, token: str, public_prefixes: Iterable[str] = PUBLIC_PREFIXES) -> None:
        if not token:
            raise ValueError("the token must not be empty")
        self._expected = f"Bearer {token}".encode()
        self._public = tuple(public_prefixes)

    def is_public(self, method: str) -> bool:
        """True for methods that need no token (health checks)."""
        return method.startswith(self._public)

    def problem(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
        """Why the call is refused, or None when it carries the right token.

        Every candidate is compared with ``hmac.compare_digest``, so the time taken does not
        reveal how much of a guessed token was right.
        """
        values = [value for key, value in metadata or () if key.lower() == "authorization"]
        if not values:
            return "missing 'authorization: Bearer <token>' metadata"
        matched = False
        for value in values:
            given = value if isinstance(value, bytes) else value.encode()
            matched |= hmac.compare_digest(given, self._expected)
        return None if matched else "the bearer token is not valid"
