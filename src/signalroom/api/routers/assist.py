"""/api/v1/assist: live sessions (docs/assist.md) — a WebSocket per session (`/assist/ws`), the
same over plain HTTP for platforms that cannot keep a socket, and what supervisors watch (the
live list, the alerts, and the `/assist/watch` WebSocket that pushes them)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from signalroom.api.deps import Auth, CurrentUser, RoleGate, allow, app_state, identify, stores_nothing
from signalroom.api.errors import ApiError
from signalroom.api.services import assist as service
from signalroom.assist.hub import AssistHub
from signalroom.assist.protocol import ProtocolError
from signalroom.assist.session import LiveSession
from signalroom.auth.roles import ASSIST_STREAM, ASSIST_WATCH, Role
from signalroom.auth.users import User

log = logging.getLogger(__name__)
router = APIRouter(prefix="/assist", tags=["assist"])

SessionKey = Annotated[str, Path(description="The session's id, as its start message gave it.")]
Message = Annotated[dict[str, Any], Body(description="One message of the protocol (docs/assist.md#protocol).")]
# WebSocket close codes (RFC 6455): the message was not valid, the policy forbids it, a failure here.
INVALID, POLICY, FAILED = 1007, 1008, 1011


def _hub(state_owner: Any) -> AssistHub:
    hub = app_state(state_owner).assist
    if hub is None:
        raise ApiError(503, "live assist is not running in this server")
    return hub


def _opened(hub: AssistHub, user: User, raw: Any, owner: Any) -> tuple[LiveSession, dict[str, Any]]:
    store = app_state(owner).request_store()
    try:
        return service.open_session(hub, store, user, raw)
    finally:
        store.close()


@router.post("/sessions", status_code=201, operation_id="startAssistSession", dependencies=[allow(ASSIST_STREAM)])
@stores_nothing
async def start_session(request: Request, user: CurrentUser, body: Message) -> dict[str, Any]:
    """Starts a live session from a `start` message (HTTP fallback of `/assist/ws`); answers the
    `started` message with the handoff context card."""
    hub = _hub(request)
    try:
        _, started = await run_in_threadpool(_opened, hub, user, body, request)
    except ProtocolError as exc:
        raise service.as_api_error(exc) from None
    return started


@router.post("/sessions/{session_id}/messages", operation_id="sendAssistMessage", dependencies=[allow(ASSIST_STREAM)])
@stores_nothing
async def send_message(request: Request, user: CurrentUser, session_id: SessionKey, body: Message) -> dict[str, Any]:
    """Takes one `turn`, `event`, `tick` or `end` message of a live session; answers the update
    (reason, suggestions, nudges, alerts) or, for `end`, the `ended` message. A malformed message
    ends the session with the error."""
    hub = _hub(request)
    session = service.session_for(hub, user, session_id)
    try:
        return service.take(hub, session, body)
    except ProtocolError as exc:
        if session.status == "live":
            hub.finish(session, status="failed", error=str(exc))
        raise service.as_api_error(exc) from None


@router.get("/sessions", operation_id="listAssistSessions", dependencies=[allow(ASSIST_WATCH)])
async def list_sessions(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The live sessions the user may watch (a supervisor: their teams'), with each one's reason,
    open nudges and alerts."""
    return {"items": _hub(request).live(user.scope)}


@router.get("/sessions/{session_id}", operation_id="getAssistSession", dependencies=[allow(ASSIST_WATCH)])
async def get_session(request: Request, user: CurrentUser, session_id: SessionKey) -> dict[str, Any]:
    """One live session as the supervisors' page shows it; 404 once it has ended."""
    found = [s for s in _hub(request).live(user.scope) if s["session"] == session_id]
    if not found:
        raise ApiError(404, f"no live session {session_id!r} you may watch")
    return found[0]


@router.get("/alerts", operation_id="listAssistAlerts", dependencies=[allow(ASSIST_WATCH)])
async def list_alerts(request: Request, user: CurrentUser) -> dict[str, Any]:
    """The latest supervisor alerts (escalation risk) of live sessions the user may watch, newest last."""
    return {"items": _hub(request).alerts_for(user.scope)}


@router.get("/status", operation_id="getAssistStatus", dependencies=[allow(ASSIST_WATCH)])
async def get_status(request: Request) -> dict[str, Any]:
    """What the assistant learned from the warehouse, how many sessions are live and stored, and
    any finished session that could not be stored."""
    return await run_in_threadpool(service.status, _hub(request))


# -- WebSockets --------------------------------------------------------------------------------------


async def _socket_user(websocket: WebSocket, roles: tuple[Role, ...]) -> User | None:
    """Who opens the socket, accepted; None (after telling them why and closing) when they may not.
    A socket opened with the session cookie must come from this site's own pages."""
    await websocket.accept()
    store = app_state(websocket).request_store()
    found: Auth | None = None
    try:
        found = identify(store, websocket)
        problem = None
        if found.via == "session":
            origin = websocket.headers.get("origin")
            host = websocket.headers.get("host")
            if origin is not None and origin.split("://", 1)[-1] != host:
                problem = f"a socket opened with a session cookie must come from this site, not {origin}"
        if problem is None:
            RoleGate(roles)(found.user)  # the HTTP routes' own rule and message
    except ApiError as exc:
        problem = exc.message
    finally:
        store.close()
    if problem is not None or found is None:
        await _fail(websocket, "forbidden" if found else "not_authenticated", problem or "not authenticated", POLICY)
        return None
    return found.user


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    await websocket.send_text(orjson.dumps(message).decode())


async def _fail(websocket: WebSocket, code: str, message: str, close_code: int) -> None:
    try:
        await _send(websocket, {"type": "error", "code": code, "message": message})
        await websocket.close(close_code, reason=message[:120])
    except (WebSocketDisconnect, RuntimeError):
        pass  # the other side has gone already


@router.websocket("/ws")
async def stream_session(websocket: WebSocket) -> None:
    """One live session: a `start` message, then `turn`, `event` and `tick` messages, then `end`."""
    user = await _socket_user(websocket, ASSIST_STREAM)
    if user is None:
        return
    hub = _hub(websocket)
    session: LiveSession | None = None
    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", 1000))
            raw = frame.get("text") if frame.get("text") is not None else frame.get("bytes") or b""
            try:
                if session is None:
                    session, out = await run_in_threadpool(_opened, hub, user, raw, websocket)
                else:
                    out = service.take(hub, session, raw)
            except ProtocolError as exc:
                if session is not None and session.status == "live":
                    hub.finish(session, status="failed", error=str(exc))
                await _fail(websocket, exc.code, str(exc), POLICY if exc.code == "forbidden" else INVALID)
                return
            await _send(websocket, out)
            if out["type"] == "ended":
                await websocket.close(1000)
                return
    except WebSocketDisconnect:
        if session is not None and session.status == "live":
            hub.finish(session, status="dropped", error="the connection dropped before the end message")
    except Exception as exc:
        log.exception("assist: session %s failed", session.key if session else "(not started)")
        if session is not None and session.status == "live":
            hub.finish(session, status="failed", error=f"internal error: {type(exc).__name__}")
        await _fail(websocket, "internal_error", f"the session failed here: {type(exc).__name__}", FAILED)


@router.websocket("/watch")
async def watch_sessions(websocket: WebSocket) -> None:
    """What supervisors watch: a snapshot of the live sessions and alerts, then every change."""
    user = await _socket_user(websocket, ASSIST_WATCH)
    if user is None:
        return
    hub = _hub(websocket)
    watcher = hub.watch(user.scope)
    closed = asyncio.ensure_future(_until_closed(websocket))
    try:
        await _send(
            websocket, {"type": "snapshot", "sessions": hub.live(user.scope), "alerts": hub.alerts_for(user.scope)}
        )
        while not closed.done():
            event = asyncio.ensure_future(watcher.events.get())
            await asyncio.wait({event, closed}, return_when=asyncio.FIRST_COMPLETED)
            if not event.done():
                event.cancel()
                break
            await _send(websocket, event.result())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unwatch(watcher)
        closed.cancel()


async def _until_closed(websocket: WebSocket) -> None:
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
