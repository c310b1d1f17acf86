"""/api/v1/auth: who am I, logging in and out from a script, and one's own API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field

from signalroom.api.deps import SESSION_COOKIE, SESSION_ONLY, AuthDep, StoreDep, allow, app_state, client_address
from signalroom.api.errors import ApiError
from signalroom.auth import audit
from signalroom.auth import users as auth
from signalroom.auth.roles import EVERYONE

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class MePublic(BaseModel):
    username: str
    display_name: str
    role: str
    teams: list[str]
    agent_id: str | None
    scope: str
    via: str
    csrf_token: str | None


def login_user(request: Request, store: Any, username: str, password: str) -> tuple[auth.User, str, str]:
    """Checks the credentials under the rate limit; starts a session. Shared by the page and the API."""
    state = app_state(request)
    client = client_address(request) or "unknown"
    keys = (f"user:{username.lower()}", f"client:{client}")
    wait = state.limiter.retry_after(*keys)
    if wait:
        raise ApiError(429, f"too many failed logins: try again in {wait} s", headers={"Retry-After": str(wait)})
    user = auth.authenticate(store, username, password)
    if user is None:
        state.limiter.failed(*keys)
        audit.record(store, None, action="login_failed", resource=f"user {username}", client=client)
        raise ApiError(401, "wrong user name or password, or the user is disabled")
    state.limiter.succeeded(keys[0])
    session_id, csrf = auth.start_session(store, user)
    audit.record(store, user, action="login", client=client)
    return user, session_id, csrf


def logout_user(request: Request, response: Response, store: Any, user: auth.User) -> None:
    """Ends the request's session, if it has one, and forgets its cookie. Shared by the page and the API."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth.end_session(store, cookie)
    audit.record(store, user, action="logout", client=client_address(request))
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    mode = app_state(request).settings.secure_cookies
    secure = mode == "always" or (mode == "auto" and request.url.scheme == "https")
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age=auth.SESSION_HOURS * 3600, httponly=True, samesite="lax", secure=secure,
        path="/",
    )  # fmt: skip


@router.post("/login", dependencies=[SESSION_ONLY], operation_id="login")
def login(request: Request, response: Response, store: StoreDep, body: Annotated[LoginBody, Body()]) -> MePublic:
    """Starts a web session (a cookie) and answers its CSRF token; scripts should prefer API tokens."""
    user, session_id, csrf = login_user(request, store, body.username, body.password)
    set_session_cookie(request, response, session_id)
    return _me(user, "session", csrf)


def _me(user: auth.User, via: str, csrf: str | None) -> MePublic:
    return MePublic(
        username=user.username, display_name=user.display_name, role=user.role.value, teams=list(user.teams),
        agent_id=user.agent_id, scope=user.scope.describe(), via=via, csrf_token=csrf,
    )  # fmt: skip


@router.get("/me", dependencies=[allow(EVERYONE)], operation_id="me")
def me(found: AuthDep) -> MePublic:
    """The user the request is authenticated as, their role and scope."""
    return _me(found.user, found.via, found.csrf_token)


@router.post("/logout", dependencies=[allow(EVERYONE), SESSION_ONLY], operation_id="logout")
def logout(request: Request, response: Response, store: StoreDep, found: AuthDep) -> dict[str, str]:
    """Ends the current web session."""
    logout_user(request, response, store, found.user)
    return {"status": "logged out"}
