"""Rendering pages: the templates, the navigation each role sees, the static files and error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from signalroom.auth.roles import (
    ADMIN_ONLY,
    ASSIST_WATCH,
    COACHING,
    MANAGE_ACTIONS,
    QA_READ,
    READ_AGGREGATES,
    READ_CUSTOMERS,
    READ_INTERACTIONS,
    Role,
)
from signalroom.auth.users import User

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals["static"] = lambda name: f"/static/{name}"

# The navigation: (label, path, roles that see it). A page's own role rule is on its route.
NAV: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("Overview", "/", READ_AGGREGATES),
    ("Drivers", "/drivers", READ_AGGREGATES),
    ("Signals & actions", "/board", (*MANAGE_ACTIONS, Role.EXECUTIVE, Role.ADVISOR)),
    ("Customers", "/customers", READ_CUSTOMERS),
    ("Interactions", "/interactions", READ_INTERACTIONS),
    ("QA", "/qa", QA_READ),
    ("Agents", "/agents", COACHING),
    ("Live", "/live", ASSIST_WATCH),
    ("Settings", "/settings", (Role.ADMIN, Role.ANALYST, Role.QA)),
    ("Audit", "/audit", ADMIN_ONLY),
)


def nav_for(user: User | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    return [(label, path) for label, path, roles in NAV if user.role in roles]


def home_for(user: User) -> str:
    """Where a user lands after logging in: the first page their role sees."""
    return nav_for(user)[0][1]


# What a form's redirect may say happened (``?notice=…``), in the page's words.
NOTICES = {
    "created": "Action created.",
    "moved": "Action moved.",
    "flagged": "Thank you: your flag is recorded and joins the next detection.",
}
# Query parameters a form's outcome is reported in; a new outcome replaces earlier ones.
_OUTCOMES = ("disputed", "reviewed", "recorded", "error", "notice")


def local_path(target: str) -> str:
    """``target`` if it is a path on this site, else "": never an address elsewhere (an open redirect)."""
    # Browsers read a backslash as a slash ("/\\evil.com" goes to evil.com) and drop tabs and
    # newlines from addresses, so neither may appear.
    if "\\" in target or any(ord(c) < 0x21 or c == "\x7f" for c in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


def redirect_back(target: str, fallback: str, **outcome: str | int) -> RedirectResponse:
    """303 to the page a form was on (``target`` if a local path, else ``fallback``), with the
    outcome in its query for :func:`form_outcome` to show."""
    parts = urlsplit(local_path(target) or fallback)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _OUTCOMES]
    query += [(k, str(v)) for k, v in outcome.items()]
    return RedirectResponse(urlunsplit(("", "", parts.path, urlencode(query), parts.fragment)), status_code=303)


def form_outcome(request: Request) -> dict[str, str]:
    """The outcome of the last form, from the query: what the page says at its top."""
    q = request.query_params
    if q.get("notice") in NOTICES:
        return {"kind": "ok", "text": NOTICES[q["notice"]]}
    if q.get("error"):
        return {"kind": "error", "text": q["error"][:500]}
    if q.get("disputed"):
        return {"kind": "ok", "text": f"Dispute {q['disputed'][:20]} raised: a QA reviewer will accept or reject it."}
    if q.get("reviewed"):
        return {"kind": "ok", "text": f"Dispute {q['reviewed'][:20]} reviewed."}
    if q.get("recorded"):
        return {"kind": "ok", "text": f"Agreed answer recorded for {q['recorded'][:200]}."}
    return {}


def render(
    request: Request, template: str, context: dict[str, Any], *, user: User | None, csrf_token: str | None = None,
    status_code: int = 200, title: str | None = None,
) -> HTMLResponse:  # fmt: skip
    base = {
        "user": user,
        "nav": nav_for(user),
        "path": request.url.path,
        "csrf_token": csrf_token or "",
        "title": title,
        "outcome": form_outcome(request),
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "user": None,
            "nav": [],
            "path": request.url.path,
            "csrf_token": "",
            "title": f"Error {status}",
            "status": status,
            "message": message,
        },
        status_code=status,
    )


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
