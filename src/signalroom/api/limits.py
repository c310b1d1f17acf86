"""Request size limits, enforced while the body streams in (a missing or false Content-Length
changes nothing): 413 in the common error format."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from signalroom.api.errors import error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(HTTPException):
    """Raised while the body is read. An HTTP error, so that FastAPI's body parsing passes it on
    (it turns any other exception into a 400) and the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _message(limit))


def _message(limit: int) -> str:
    return f"the request body is larger than the limit of {limit:,} bytes"


class BodyLimit:
    """At most ``max_bytes`` per request body; ``upload_bytes`` for the paths that take uploads."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_bytes: int, upload_paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.upload_bytes if path.startswith(self.upload_paths) else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, receive, send, limit)
            return
        seen = 0
        started = False
        # The body went over the limit before any answer began: whatever the app answers then (the
        # 413 this raises, or a parse error when a middleware wrapped it) is replaced by the 413.
        cut = False
        replaced = False

        async def counting_receive() -> Message:
            nonlocal seen, cut
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    cut = cut or not started
                    raise _TooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if cut:
                if message["type"] == "http.response.start" and not replaced:
                    replaced = True
                    await self._reject(scope, receive, send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not cut:
                raise
            # The client has (or now gets) the 413; what the app made of the cut-off body is moot.
            if not replaced:
                replaced = True
                await self._reject(scope, receive, send, limit)

    async def _reject(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(413, _message(limit))
        await response(scope, receive, send)
