"""Live sessions through the API (docs/assist.md): the same steps for a WebSocket and for the HTTP
fallback — open a session with its context, take a message, end it."""

from __future__ import annotations

from typing import Any

from signalroom.api.errors import ApiError
from signalroom.assist.handoff import start_context
from signalroom.assist.hub import AssistHub
from signalroom.assist.protocol import End, EventIn, ProtocolError, Start, Tick, TurnIn, parse
from signalroom.assist.session import LiveSession
from signalroom.auth.roles import Role
from signalroom.auth.users import User
from signalroom.store.warehouse import Store

STATUS = {"malformed": 422, "duplicate": 409, "ended": 409, "too_long": 422, "forbidden": 403, "not_found": 404}


def as_api_error(exc: ProtocolError) -> ApiError:
    return ApiError(STATUS.get(exc.code, 422), str(exc))


def check_streamer(user: User, start: Start) -> None:
    """An advisor streams only their own interactions; a supervisor only their teams'."""
    agent = start.session.agent
    if user.role is Role.ADVISOR and (agent is None or agent.id != user.agent_id):
        raise ProtocolError(
            f"an advisor streams only their own sessions: session.agent.id must be {user.agent_id!r}", code="forbidden"
        )
    if user.role is Role.SUPERVISOR and not user.scope.allows(
        agent_id=agent.id if agent else None, team=agent.team if agent else None
    ):
        raise ProtocolError("a supervisor streams only sessions of their teams: session.agent.team", code="forbidden")


def open_session(hub: AssistHub, store: Store, user: User, raw: Any) -> tuple[LiveSession, dict[str, Any]]:
    """Start a session from its ``start`` message: the session and the 'started' message (with
    the handoff context card). ``store`` is read only."""
    message = parse(raw)
    if not isinstance(message, Start):
        raise ProtocolError(f"a session begins with a start message, not {message.type}")
    check_streamer(user, message)
    session = hub.open(message.session, user.username)
    try:
        context = start_context(store, message.session)
    except Exception as exc:  # the card is a help, not a condition: the session goes on without it
        context = {"card": None, "handoff": None, "notes": [f"the context could not be read: {exc}"]}
    return session, session.started(context)


def take(hub: AssistHub, session: LiveSession, raw: Any) -> dict[str, Any]:
    """One in-session message: the update, or the 'ended' message for an ``end``."""
    message = parse(raw, in_session=True)
    if isinstance(message, End):
        return hub.finish(session, message=message)
    assert isinstance(message, TurnIn | EventIn | Tick)
    update = session.take(message)
    hub.touched(session, update)
    return update


def session_for(hub: AssistHub, user: User, key: str) -> LiveSession:
    """A live session the user streams (an admin: any)."""
    session = hub.get(key)
    if session is None:
        raise ApiError(404, f"no live session {key!r}: it has ended, or never started")
    if session.opened_by != user.username and user.role is not Role.ADMIN:
        raise ApiError(403, f"session {key!r} is streamed by another user")
    return session


def status(hub: AssistHub) -> dict[str, Any]:
    assistant = hub.assistant()
    return {
        "live_sessions": len(hub.sessions),
        "assistant": assistant.stats,
        "stored": len(hub.stored),
        "store_errors": [{k: e[k] for k in ("session", "error")} for e in hub.store_errors],
    }
