"""Limits that protect an exposed server: body size (413) and time per request (503)."""

from __future__ import annotations

from .errors import error

__all__ = ["BodyLimit", "timed"]

class BodyLimit:
    """ASGI middleware: refuse request bodies above ``limit`` bytes with 413, before parsing."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        for k, v in scope.get("headers", ()):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    n = -1
                if n < 0 or n > self.limit:
                    return await self._too_big(scope, receive, send)
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body = msg.get("body", b"")
            size += len(body)
            if size > self.limit:
                return await self._too_big(scope, receive, send)
            chunks.append(body)
            if not msg.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _too_big(self, scope, receive, send):
        resp = error(413, "LimitExceeded", f"request body larger than this server's limit of {self.limit} bytes")
        await resp(scope, receive, send)


async def timed(fn, timeout: float):
    """Run ``fn`` in a worker thread; raise TimeoutError after ``timeout`` seconds."""
    import anyio

    with anyio.fail_after(timeout):
        return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)


