"""The login and logout pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from signalroom.api.deps import SESSION_COOKIE, AuthDep, StoreDep, allow, client_address
from signalroom.api.errors import ApiError
from signalroom.api.routers.auth import login_user, set_session_cookie
from signalroom.auth import audit
from signalroom.auth import users as auth
from signalroom.auth.roles import EVERYONE
from signalroom.web.render import home_for, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path on this site: never an address elsewhere (an open redirect)."""
    # Browsers read a backslash as a slash ("/\\evil.com" goes to evil.com) and drop tabs and
    # newlines from addresses, so neither may appear.
    if "\\" in target or any(ord(c) < 0x21 or c == "\x7f" for c in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


@router.get("/login", response_class=HTMLResponse, operation_id="loginPage")
def login_page(request: Request, next: str = "") -> Response:
    """The login form; ``next`` is where to go after, a path on this site only."""
    return render(request, "login.html", {"next": _safe_next(next), "message": "", "username": ""}, user=None,
                  title="Log in")  # fmt: skip


@router.post("/login", response_class=HTMLResponse, operation_id="loginSubmit")
def login_submit(
    request: Request,
    store: StoreDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "",
) -> Response:
    """Checks the password under the rate limit and starts a session: a 303 to ``next`` or the
    role's first page; the form again with the reason (401, 429) when refused."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.url.netloc:
        raise ApiError(403, f"a login from another site ({origin}) is refused")
    try:
        user, session_id, _ = login_user(request, store, username.strip(), password)
    except ApiError as exc:
        if exc.status not in (401, 429):
            raise
        response = render(request, "login.html", {"next": _safe_next(next), "message": exc.message,
                                                  "username": username}, user=None, status_code=exc.status,
                          title="Log in")  # fmt: skip
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    redirect = RedirectResponse(_safe_next(next) or home_for(user), status_code=303)
    set_session_cookie(request, redirect, session_id)
    return redirect


@router.post("/logout", dependencies=[allow(EVERYONE)], operation_id="logoutSubmit")
def logout_submit(request: Request, store: StoreDep, found: AuthDep) -> Response:
    """Ends the session and goes back to the login page."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth.end_session(store, cookie)
    audit.record(store, found.user, action="logout", client=client_address(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
