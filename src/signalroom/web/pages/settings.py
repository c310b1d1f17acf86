"""The settings pages: users (admin), QA scorecards (admin, qa), the contact reasons' names and the
routing rules (admin, analyst). Every form posts here with the page's CSRF token and answers a 303
to the section on success, or the form again with what is wrong."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow, client_address
from signalroom.api.services import settings as service
from signalroom.auth import users as auth
from signalroom.auth.roles import ADMIN_ONLY, ANALYSE, QA_MANAGE, ROLES, Role
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)

SETTINGS_ROLES = (Role.ADMIN, Role.ANALYST, Role.QA)
# (path segment, label, roles that may change it, what it is for)
SECTIONS: tuple[tuple[str, str, tuple[Role, ...], str], ...] = (
    ("users", "Users", ADMIN_ONLY, "Who may log in, their role and what they see; passwords and API tokens."),
    ("scorecards", "Scorecards", QA_MANAGE, "The QA scorecards every interaction is scored against."),
    ("taxonomy", "Taxonomy", ANALYSE, "The contact reasons and the names they are shown with."),
    ("routing", "Routing rules", ANALYSE, "Which function, and who in it, owns each signal."),
)

Username = Annotated[str, Path(max_length=64)]
YamlText = Annotated[str, Form(alias="yaml", max_length=200_000, description="The YAML text.")]


class _Notices:
    """What a form's 303 leaves for the page it lands on, shown once: a message and, for a new
    password or token, the secret — kept here, never in the address, only for the user who asked
    and only for a few minutes."""

    def __init__(self, size: int = 256, ttl_s: float = 600.0) -> None:
        self._items: OrderedDict[str, tuple[int, float, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self._ttl_s = ttl_s

    def put(self, user: auth.User, **notice: str) -> str:
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items[key] = (user.user_id, time.monotonic(), notice)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return key

    def pop(self, user: auth.User, key: str | None) -> dict[str, str]:
        if not key:
            return {}
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != user.user_id:
                return {}
            del self._items[key]
        return found[2] if time.monotonic() - found[1] < self._ttl_s else {}


notices = _Notices()


def _done(user: auth.User, section: str, **notice: str) -> RedirectResponse:
    return RedirectResponse(f"/settings/{section}?notice={notices.put(user, **notice)}", status_code=303)


def _page(
    request: Request, found: Any, template: str, section: str | None, context: dict[str, Any], *,
    status_code: int = 200, notice: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    tabs = [(key, label, text) for key, label, roles, text in SECTIONS if found.user.role in roles]
    title = "Settings" if section is None else f"Settings · {next(t[1] for t in tabs if t[0] == section)}"
    response = render(
        request, template, {"tabs": tabs, "section": section, "notice": notice or {}, **context},
        user=found.user, csrf_token=found.csrf_token, status_code=status_code, title=title,
    )  # fmt: skip
    if notice and notice.get("secret"):
        response.headers["Cache-Control"] = "no-store"  # a password or token is not kept by the browser
    return response


@router.get("/settings", response_class=HTMLResponse, dependencies=[allow(SETTINGS_ROLES)],
            operation_id="settingsPage")  # fmt: skip
def settings_page(request: Request, found: AuthDep) -> Response:
    """The settings sections this role may change."""
    return _page(request, found, "settings.html", None, {})


# ---------------------------------------------------------------- users


def _users(request: Request, store: Any, found: Any, *, notice: dict[str, str] | None = None,
           error: str = "", form: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    context = {
        "users": service.user_rows(store), "roles": [r.value for r in ROLES], "error": error,
        "form": form or {"role": "analyst"}, "min_password": auth.MIN_PASSWORD,
    }  # fmt: skip
    return _page(request, found, "settings_users.html", "users", context, notice=notice, status_code=status_code)


@router.get("/settings/users", response_class=HTMLResponse, dependencies=[allow(ADMIN_ONLY)],
            operation_id="settingsUsersPage")  # fmt: skip
def settings_users_page(
    request: Request, store: StoreDep, found: AuthDep, notice: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """Every user with their role, what they see and whether they are enabled."""
    return _users(request, store, found, notice=notices.pop(found.user, notice))


@router.post("/settings/users", response_class=HTMLResponse, dependencies=[allow(ADMIN_ONLY)],
             operation_id="settingsAddUser")  # fmt: skip
def settings_add_user(
    request: Request, store: StoreDep, found: AuthDep,
    username: Annotated[str, Form(max_length=64)], role: Annotated[str, Form(max_length=20)],
    display_name: Annotated[str, Form(max_length=200)] = "", teams: Annotated[str, Form(max_length=2000)] = "",
    agent_id: Annotated[str, Form(max_length=200)] = "", password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:  # fmt: skip
    """Adds a user; an empty password is generated and shown once."""
    try:
        user, generated = service.add_user(
            store, by=found.user, username=username, role=role, display_name=display_name, teams=teams,
            agent_id=agent_id, password=password,
        )  # fmt: skip
    except auth.UserError as exc:
        form = {"username": username, "role": role, "display_name": display_name, "teams": teams, "agent_id": agent_id}
        status = 409 if "already exists" in str(exc) else 422
        return _users(request, store, found, error=str(exc), form=form, status_code=status)
    notice = {"message": f"Added {user.role.value} {user.username} ({user.scope.describe()})."}
    if generated:
        notice |= {"secret_label": f"Password for {user.username}", "secret": generated}
    return _done(found.user, "users", **notice)


CHANGES = ("disable", "enable", "password")


@router.post("/settings/users/{username}", response_class=HTMLResponse, dependencies=[allow(ADMIN_ONLY)],
             operation_id="settingsChangeUser")  # fmt: skip
def settings_change_user(
    request: Request, store: StoreDep, found: AuthDep, username: Username,
    change: Annotated[str, Form(description="disable, enable or password")],
) -> Response:  # fmt: skip
    """Disables a user (their sessions end and their tokens stop working at once), enables them
    again, or resets their password to a generated one shown once (their sessions end)."""
    if change not in CHANGES:
        return _users(request, store, found, error=f"unknown change {change!r}: use one of {', '.join(CHANGES)}",
                      status_code=422)  # fmt: skip
    password = auth.generate_password() if change == "password" else None
    try:
        if password is None:
            auth.update_user(store, username, by=found.user, disabled=change == "disable")
        else:
            auth.update_user(store, username, by=found.user, password=password)
    except auth.UserError as exc:
        return _users(request, store, found, error=str(exc), status_code=404 if str(exc).startswith("no user") else 422)
    if password is not None:
        return _done(found.user, "users", message=f"{username}'s password is reset; their sessions are ended.",
                     secret_label=f"New password for {username}", secret=password)  # fmt: skip
    state = "disabled: their sessions are ended and their tokens refused" if change == "disable" else "enabled"
    return _done(found.user, "users", message=f"{username} {state}.")


@router.post("/settings/users/{username}/tokens", response_class=HTMLResponse, dependencies=[allow(ADMIN_ONLY)],
             operation_id="settingsCreateToken")  # fmt: skip
def settings_create_token(
    request: Request, store: StoreDep, found: AuthDep, username: Username, name: Annotated[str, Form(max_length=100)]
) -> Response:
    """A new API token for the user, shown once."""
    try:
        token_id, token = auth.create_token(store, username, name=name, by=found.user)
    except auth.UserError as exc:
        return _users(request, store, found, error=str(exc), status_code=404 if str(exc).startswith("no user") else 422)
    return _done(found.user, "users", message=f"Token #{token_id} ({name.strip()}) created for {username}.",
                 secret_label=f"API token #{token_id} for {username}", secret=token)  # fmt: skip


@router.post("/settings/users/{username}/tokens/{token_id}/revoke", response_class=HTMLResponse,
             dependencies=[allow(ADMIN_ONLY)], operation_id="settingsRevokeToken")  # fmt: skip
def settings_revoke_token(
    request: Request, store: StoreDep, found: AuthDep, username: Username, token_id: int
) -> Response:
    """Revokes one of the user's API tokens: it is refused from now on."""
    try:
        if not any(t["token_id"] == token_id and not t["revoked"] for t in auth.list_tokens(store, username)):
            raise auth.UserError(f"{username} has no active token #{token_id}")
        auth.revoke_token(store, token_id, by=found.user)
    except auth.UserError as exc:
        return _users(request, store, found, error=str(exc), status_code=404)
    return _done(found.user, "users", message=f"Token #{token_id} revoked.")


# ---------------------------------------------------------------- scorecards


def _scorecards(request: Request, store: Any, found: Any, *, notice: dict[str, str] | None = None,
                edit: str | None = None, text: str | None = None, problems: list[service.Problem] | None = None,
                error: str = "", status_code: int = 200) -> Response:  # fmt: skip
    cards = service.scorecards(store)
    if text is None:
        chosen = next((c for c in cards if c["id"] == edit), cards[0] if cards else None)
        text, edit = (chosen["yaml"], chosen["id"]) if chosen else ("", None)
    context = {"cards": cards, "edit": edit, "text": text, "problems": problems or [], "error": error}
    return _page(request, found, "settings_scorecards.html", "scorecards", context, notice=notice,
                 status_code=status_code)  # fmt: skip


@router.get("/settings/scorecards", response_class=HTMLResponse, dependencies=[allow(QA_MANAGE)],
            operation_id="settingsScorecardsPage")  # fmt: skip
def settings_scorecards_page(
    request: Request, store: StoreDep, found: AuthDep,
    edit: Annotated[str | None, Query(max_length=100, description="The scorecard to edit.")] = None,
    notice: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:  # fmt: skip
    """The scorecards in use with their YAML, and a form to edit one."""
    return _scorecards(request, store, found, edit=edit, notice=notices.pop(found.user, notice))


@router.post("/settings/scorecards", response_class=HTMLResponse, dependencies=[allow(QA_MANAGE)],
             operation_id="settingsSetScorecard")  # fmt: skip
def settings_set_scorecard(
    request: Request, store: StoreDep, found: AuthDep, yaml_text: YamlText,
    edit: Annotated[str, Form(max_length=100)] = "", check_only: Annotated[str, Form()] = "",
    rescore: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Lints the scorecard (problems by line and field); when valid and not only checked, keeps it as
    the one in use under its id and, when asked, scores what it changed at once."""
    problems = service.lint_scorecard(yaml_text)
    if problems or check_only:
        message = "" if problems else "The scorecard is valid (not saved)."
        return _scorecards(request, store, found, edit=edit or None, text=yaml_text, problems=problems,
                           notice={"message": message} if message else None,
                           status_code=422 if problems else 200)  # fmt: skip
    try:
        done = service.set_scorecard(
            store, yaml_text, by=found.user, rescore=bool(rescore), client=client_address(request)
        )
    except service.SettingsError as exc:
        return _scorecards(request, store, found, edit=edit or None, text=yaml_text, error=str(exc), status_code=422)
    if not done.changed:
        message = f"Scorecard {done.scorecard_id} is unchanged."
    elif done.rescored is None:
        message = f"Scorecard {done.scorecard_id} is in use; `signalroom qa score` scores history with it."
    else:
        message = f"Scorecard {done.scorecard_id} is in use; {done.rescored:,} interactions scored again."
    response = _done(found.user, "scorecards", message=message)
    response.headers["location"] += f"&edit={done.scorecard_id}"
    return response


# ---------------------------------------------------------------- taxonomy


def _taxonomy(request: Request, store: Any, found: Any, *, notice: dict[str, str] | None = None, error: str = "",
              status_code: int = 200) -> Response:  # fmt: skip
    context = {"listing": service.reasons(store), "error": error}
    return _page(request, found, "settings_taxonomy.html", "taxonomy", context, notice=notice,
                 status_code=status_code)  # fmt: skip


@router.get("/settings/taxonomy", response_class=HTMLResponse, dependencies=[allow(ANALYSE)],
            operation_id="settingsTaxonomyPage")  # fmt: skip
def settings_taxonomy_page(
    request: Request, store: StoreDep, found: AuthDep, notice: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """The contact reasons with their sub-reasons, sizes and key phrases, to rename."""
    return _taxonomy(request, store, found, notice=notices.pop(found.user, notice))


@router.post("/settings/taxonomy/{topic_id}/rename", response_class=HTMLResponse, dependencies=[allow(ANALYSE)],
             operation_id="settingsRenameReason")  # fmt: skip
def settings_rename_reason(
    request: Request, store: StoreDep, found: AuthDep, topic_id: int, name: Annotated[str, Form(max_length=200)]
) -> Response:
    """Gives a discovered reason (or sub-reason) a name of its own; refits keep it."""
    try:
        named = service.rename_reason(store, topic_id, name, by=found.user, client=client_address(request))
    except service.SettingsError as exc:
        return _taxonomy(request, store, found, error=str(exc), status_code=422)
    return _done(found.user, "taxonomy", message=f"Reason {topic_id} is now called {named!r}.")


# ---------------------------------------------------------------- routing


def _routing(request: Request, store: Any, found: Any, *, notice: dict[str, str] | None = None,
             text: str | None = None, problems: list[service.Problem] | None = None, status_code: int = 200,
             ) -> Response:  # fmt: skip
    current = service.routing(store)
    context = {"current": current, "text": current["yaml"] if text is None else text, "problems": problems or []}
    return _page(request, found, "settings_routing.html", "routing", context, notice=notice, status_code=status_code)


@router.get("/settings/routing", response_class=HTMLResponse, dependencies=[allow(ANALYSE)],
            operation_id="settingsRoutingPage")  # fmt: skip
def settings_routing_page(
    request: Request, store: StoreDep, found: AuthDep, notice: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """The routing rules in use, to check and change."""
    return _routing(request, store, found, notice=notices.pop(found.user, notice))


@router.post("/settings/routing", response_class=HTMLResponse, dependencies=[allow(ANALYSE)],
             operation_id="settingsSetRouting")  # fmt: skip
def settings_set_routing(
    request: Request, store: StoreDep, found: AuthDep, yaml_text: YamlText,
    check_only: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Lints the rules; when valid and not only checked, uses them and routes the stored signals anew."""
    problems = service.lint_routing(yaml_text)
    if problems or check_only:
        notice = None if problems else {"message": "The rules are valid (not saved)."}
        return _routing(request, store, found, text=yaml_text, problems=problems, notice=notice,
                        status_code=422 if problems else 200)  # fmt: skip
    try:
        version, changed = service.set_routing(store, yaml_text, by=found.user, client=client_address(request))
    except service.SettingsError as exc:
        return _routing(request, store, found, text=yaml_text, problems=service.problems_of(str(exc), ""),
                        status_code=422)  # fmt: skip
    return _done(
        found.user, "routing", message=f"Routing rules version {version} set; {changed} signal(s) routed anew."
    )
