"""The dependencies routes declare (docs/api.md): the store, the current user, the role gate,
pagination and the common filters.

    @router.get("/signals", dependencies=[allow(EVERYONE)])
    def list_signals(store: StoreDep, user: CurrentUser, page: PageDep) -> ...
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.requests import HTTPConnection

from signalroom.api import cache
from signalroom.api.errors import ApiError, LoginRequired
from signalroom.api.state import AppState
from signalroom.auth import users as auth
from signalroom.auth.roles import Role
from signalroom.auth.users import User
from signalroom.store.common_filters import Filters as Filters  # re-exported: the routes take them from here
from signalroom.store.warehouse import Store

SESSION_COOKIE = "signalroom_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def app_state(request: HTTPConnection) -> AppState:
    state: AppState = request.app.state.signalroom
    return state


def stores_nothing(endpoint: Any) -> Any:
    """Marks a route that is not a GET but writes nothing to the store (a live-session message):
    it neither waits for the single writer's lock nor throws the cached results away."""
    endpoint.stores_nothing = True
    return endpoint


def get_store(request: Request) -> Iterator[Store]:
    """The request's store; a request that changes something holds the single writer's lock."""
    state = app_state(request)
    store = state.request_store()
    route = request.scope.get("route")
    writes = request.method not in SAFE_METHODS and not getattr(
        getattr(route, "endpoint", None), "stores_nothing", False
    )
    if writes:
        state.write_lock.acquire()
    try:
        yield store
    finally:
        if writes:
            # Anything a write changed (a rename, a new scorecard) may show in a cached result;
            # logging in or out changes no data, and must not throw away what was computed.
            if getattr(request.state, "changes_data", True):
                cache.clear()
                if state.warm_up is not None:
                    state.warm_up.ask()
                if state.assist is not None:
                    state.assist.mark_stale()
            state.write_lock.release()
        store.close()


StoreDep = Annotated[Store, Depends(get_store)]


def _session_only(request: Request) -> None:
    request.state.changes_data = False


# On a route that writes only session bookkeeping (login, logout): the cache is kept.
SESSION_ONLY = Depends(_session_only)


@dataclass(frozen=True)
class Auth:
    user: User
    via: str  # "token" or "session"
    csrf_token: str | None = None


async def _csrf_from_form(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def identify(store: Store, connection: HTTPConnection) -> Auth:
    """Who is asking: a bearer token, else the session cookie."""
    header = connection.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LoginRequired("the Authorization header must be 'Bearer <token>'")
        user = auth.user_for_token(store, token.strip())
        if user is None:
            raise LoginRequired("the API token is not valid: unknown, revoked, or its user is disabled")
        return Auth(user, "token")
    cookie = connection.cookies.get(SESSION_COOKIE)
    session = auth.session_for(store, cookie) if cookie else None
    if session is None:
        raise LoginRequired()
    return Auth(session.user, "session", session.csrf_token)


async def authenticate(request: Request, store: StoreDep) -> Auth:
    """Who is asking (:func:`identify`). A cookie-authenticated request that changes something must
    carry the session's CSRF token (header or form field)."""
    found = identify(store, request)
    if found.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or await _csrf_from_form(request)
        if not sent or not hmac.compare_digest(sent, found.csrf_token or ""):
            raise ApiError(403, f"missing or wrong CSRF token: send the page's token as {CSRF_HEADER} or csrf_token")
    return found


AuthDep = Annotated[Auth, Depends(authenticate)]


def current_user(found: AuthDep) -> User:
    return found.user


CurrentUser = Annotated[User, Depends(current_user)]


class RoleGate:
    """A route's role rule; the route-table test reads ``roles`` off every route."""

    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles

    def __call__(self, user: CurrentUser) -> None:
        if user.role not in self.roles:
            raise ApiError(
                403,
                f"{'an' if user.role.value[0] in 'aeiou' else 'a'} {user.role.value} may not do this: "
                f"it is for {', '.join(r.value for r in self.roles)}",
            )

    def __repr__(self) -> str:
        return f"RoleGate({', '.join(r.value for r in self.roles)})"


def allow(roles: tuple[Role, ...]) -> Any:
    """``dependencies=[allow(READ_AGGREGATES)]``: only these roles reach the route."""
    return Depends(RoleGate(tuple(roles)))


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="How many items (at most 500).")] = 50,
    offset: Annotated[int, Query(ge=0, description="How many items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit, offset)


PageDep = Annotated[PageParams, Depends(page_params)]


def page(items: list[Any], total: int, params: PageParams) -> dict[str, Any]:
    """The paginated envelope every list answers with."""
    following = params.offset + params.limit
    return {
        "items": items,
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": following if following < total else None,
    }


def page_of(items: list[Any], params: PageParams) -> dict[str, Any]:
    """Paginates a list computed whole."""
    return page(items[params.offset : params.offset + params.limit], len(items), params)


def filters(
    date_from: Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last day, included.")] = None,
    channel: Annotated[str | None, Query(description="Only this channel.")] = None,
    reason: Annotated[int | None, Query(description="Only this contact reason (id).")] = None,
    queue: Annotated[str | None, Query(description="Only this queue.")] = None,
    team: Annotated[str | None, Query(description="Only this team.")] = None,
    agent: Annotated[str | None, Query(description="Only this agent (id).")] = None,
) -> Filters:
    if date_from and date_to and date_to < date_from:
        raise ApiError(
            422,
            f"'to' ({date_to}) is before 'from' ({date_from})",
            fields=[{"location": "query.to", "problem": "before from"}],
        )
    return Filters(
        date_from=date_from, date_to=date_to, channel=channel, reason=reason, queue=queue, team=team, agent=agent
    )


FiltersDep = Annotated[Filters, Depends(filters)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None
