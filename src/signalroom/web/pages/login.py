"""The login and logout pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from signalroom.api.deps import SESSION_ONLY, AuthDep, StoreDep, allow
from signalroom.api.errors import ApiError
from signalroom.api.routers.auth import login_user, logout_user, set_session_cookie
from signalroom.auth.roles import EVERYONE
from signalroom.web.render import home_for, local_path, render

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse, operation_id="loginPage")
def login_page(request: Request, next: str = "") -> Response:
    """The login form; ``next`` is where to go after, a path on this site only."""
    return render(request, "login.html", {"next": local_path(next), "message": "", "username": ""}, user=None,
                  title="Log in")  # fmt: skip


@router.post("/login", response_class=HTMLResponse, dependencies=[SESSION_ONLY], operation_id="loginSubmit")
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
        response = render(request, "login.html", {"next": local_path(next), "message": exc.message,
                                                  "username": username}, user=None, status_code=exc.status,
                          title="Log in")  # fmt: skip
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    redirect = RedirectResponse(local_path(next) or home_for(user), status_code=303)
    set_session_cookie(request, redirect, session_id)
    return redirect


@router.post("/logout", dependencies=[allow(EVERYONE), SESSION_ONLY], operation_id="logoutSubmit")
def logout_submit(request: Request, store: StoreDep, found: AuthDep) -> Response:
    """Ends the session and goes back to the login page."""
    response = RedirectResponse("/login", status_code=303)
    logout_user(request, response, store, found.user)
    return response
