"""API keys: ``Authorization: Bearer <key>`` (or ``X-API-Key: <key>``) checked against hashes.

The server never stores a key, only its SHA-256 hex digest (``detente serve --hash-key`` prints
it; ``DETENTE_API_API_KEYS`` or the ``api_keys`` line of a config file lists the digests). A
request without a valid key gets 401. ``/health`` stays open (for load balancers' checks).
No key is needed when none is configured, which ``detente serve`` allows on loopback only.
"""

from __future__ import annotations

import hashlib
import hmac

from .errors import error

__all__ = ["ApiKeys", "hash_key", "is_digest"]

#: paths answered without a key
OPEN_PATHS = ("/health",)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest of an API key (what the server's configuration holds)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def is_digest(text: str) -> bool:
    """True for a 64-character lower-case hex string."""
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


class ApiKeys:
    """ASGI middleware: 401 unless the request carries a key whose digest is configured."""

    def __init__(self, app, digests: tuple[str, ...]) -> None:
        bad = [d for d in digests if not is_digest(d)]
        if bad:
            from ..errors import ScenarioError

            raise ScenarioError("must list SHA-256 hex digests of the keys, not the keys (see "
                                f"`detente serve --hash-key`); got {len(bad)} other value(s)",
                                source="ApiConfig", field="api_keys")
        self.app, self.digests = app, tuple(digests)

    def _ok(self, scope) -> bool:
        key = ""
        for k, v in scope.get("headers", ()):
            if k == b"authorization":
                text = v.decode("latin-1")
                if text[:7].lower() == "bearer ":
                    key = text[7:].strip()
            elif k == b"x-api-key" and not key:
                key = v.decode("latin-1").strip()
        if not key:
            return False
        digest = hash_key(key)
        ok = False
        for d in self.digests:  # compare with every digest: the time does not tell which matched
            ok |= hmac.compare_digest(digest, d)
        return ok

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS or self._ok(scope):
            return await self.app(scope, receive, send)
        resp = error(401, "Unauthorized", "this server needs an API key: send "
                                          "'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                     headers={"WWW-Authenticate": "Bearer"})
        await resp(scope, receive, send)
