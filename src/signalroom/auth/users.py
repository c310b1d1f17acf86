"""Users, passwords, API tokens and web sessions: the service behind `signalroom users`, the login
page and every authenticated request (docs/serve.md#users-and-roles)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from signalroom.auth import audit
from signalroom.auth.roles import ROLES, Role, Scope, scope_for
from signalroom.store import users as db
from signalroom.store.warehouse import Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10
SESSION_HOURS = 12
TOKEN_PREFIX = "sr_"

_hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a real check, so the
# answer's timing does not tell which user names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(ValueError):
    """A request about users that cannot be done: the message names what is wrong."""


@dataclass(frozen=True, kw_only=True)
class User:
    user_id: int
    username: str
    display_name: str
    role: Role
    teams: tuple[str, ...]
    agent_id: str | None
    disabled: bool
    has_password: bool
    created_at: datetime
    created_by: str

    @property
    def scope(self) -> Scope:
        return scope_for(self.role, teams=self.teams, agent_id=self.agent_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role.value,
            "teams": list(self.teams),
            "agent_id": self.agent_id,
            "disabled": self.disabled,
            "has_password": self.has_password,
            "created_at": self.created_at,
            "created_by": self.created_by,
        }


def _user(row: dict[str, Any]) -> User:
    return User(
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        teams=tuple(row["teams"] or ()),
        agent_id=row["agent_id"],
        disabled=row["disabled"],
        has_password=row["password_hash"] is not None,
        created_at=row["created_at"],
        created_by=row["created_by"],
    )


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise UserError(f"unknown role {text!r}: use one of {', '.join(r.value for r in ROLES)}") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def _check_role_details(role: Role, teams: tuple[str, ...], agent_id: str | None) -> None:
    if role is Role.SUPERVISOR and not teams:
        raise UserError("a supervisor needs at least one team (--team), the teams they see")
    if role is not Role.SUPERVISOR and teams:
        raise UserError(
            f"only a supervisor has teams; a {role.value} sees {scope_for(role, teams=(), agent_id=None).describe()}"
        )
    if role is Role.ADVISOR and not agent_id:
        raise UserError("an advisor needs their agent id (--agent), the id their interactions carry")
    if role is not Role.ADVISOR and agent_id:
        raise UserError("only an advisor is linked to an agent id")


def add_user(
    store: Store, *, username: str, role: str, password: str | None, display_name: str | None = None,
    teams: tuple[str, ...] = (), agent_id: str | None = None, by: User | None,
) -> User:  # fmt: skip
    """A new user. ``password`` None: API tokens only, no web login."""
    if not USERNAME.match(username):
        raise UserError(
            f"user name {username!r} is not allowed: 2–64 characters, lower-case letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    parsed = parse_role(role)
    teams = tuple(t.strip() for t in teams if t.strip())
    _check_role_details(parsed, teams, agent_id)
    if password is not None:
        check_password(password)
    if db.user_rows(store, username=username):
        raise UserError(f"user {username!r} already exists")
    with store.transaction():
        user_id = db.insert_user(
            store,
            username=username,
            display_name=display_name or username,
            role=parsed.value,
            teams=list(teams),
            agent_id=agent_id,
            password_hash=None if password is None else _hasher.hash(password),
            created_by=audit.actor(by)[0],
        )
        audit.record(
            store, by, action="user_add",
            resource=f"user {username}", detail={"role": parsed.value, "teams": list(teams), "agent_id": agent_id},
            client=None,
        )  # fmt: skip
    return get_user(store, user_id=user_id)


def get_user(store: Store, *, username: str | None = None, user_id: int | None = None) -> User:
    rows = db.user_rows(store, username=username, user_id=user_id)
    if not rows:
        raise UserError(f"no user {username if username is not None else f'#{user_id}'}")
    return _user(rows[0])


def list_users(store: Store) -> list[User]:
    return [_user(r) for r in db.user_rows(store)]


def update_user(
    store: Store, username: str, *, by: User | None, display_name: str | None = None, role: str | None = None,
    teams: tuple[str, ...] | None = None, agent_id: str | None = None, disabled: bool | None = None,
    password: str | None = None,
) -> User:  # fmt: skip
    """Changes a user; disabling one ends their sessions and stops their tokens at once."""
    user = get_user(store, username=username)
    new_role = parse_role(role) if role is not None else user.role
    new_teams = tuple(t.strip() for t in teams if t.strip()) if teams is not None else user.teams
    new_agent = agent_id if agent_id is not None else user.agent_id
    if role is not None and new_role is not user.role:
        # A changed role drops the other role's details unless new ones were given.
        new_teams = new_teams if new_role is Role.SUPERVISOR else ()
        new_agent = new_agent if new_role is Role.ADVISOR else None
    _check_role_details(new_role, new_teams, new_agent)
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = display_name
    if new_role is not user.role:
        changes["role"] = new_role.value
    if new_teams != user.teams:
        changes["teams"] = list(new_teams)
    if new_agent != user.agent_id:
        changes["agent_id"] = new_agent
    if password is not None:
        check_password(password)
        changes["password_hash"] = _hasher.hash(password)
    if disabled is not None and disabled != user.disabled:
        if disabled and user.role is Role.ADMIN and db.count_users(store, role=Role.ADMIN.value) <= 1:
            raise UserError(f"{username} is the last enabled admin: add another admin before disabling this one")
        changes["disabled"] = disabled
    if (
        user.role is Role.ADMIN and new_role is not Role.ADMIN and not user.disabled
        and db.count_users(store, role=Role.ADMIN.value) <= 1
    ):  # fmt: skip
        raise UserError(f"{username} is the last enabled admin: add another admin before changing this one's role")
    with store.transaction():
        db.update_user(store, user.user_id, changes)
        if changes.get("disabled") or "password_hash" in changes or "role" in changes:
            db.delete_sessions(store, user_id=user.user_id)
        detail = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            detail["password"] = "changed"
        audit.record(
            store, by, action="user_update",
            resource=f"user {username}", detail=detail,
        )  # fmt: skip
    return get_user(store, user_id=user.user_id)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user these credentials belong to, or None (wrong name or password, disabled, no password)."""
    rows = db.user_rows(store, username=username)
    row = rows[0] if rows else None
    stored = row["password_hash"] if row and row["password_hash"] else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row["password_hash"] is None or row["disabled"]:
        return None
    if _hasher.check_needs_rehash(stored):
        db.update_user(store, row["user_id"], {"password_hash": _hasher.hash(password)})
    return _user(row)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(store: Store, username: str, *, name: str, by: User | None) -> tuple[int, str]:
    """A new API token for the user: its id and the token itself, shown only this once."""
    user = get_user(store, username=username)
    if user.disabled:
        raise UserError(f"user {username} is disabled")
    if not name.strip():
        raise UserError("a token needs a name that says what uses it")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        token_id = db.insert_token(store, user_id=user.user_id, name=name.strip(), token_sha256=digest(token))
        audit.record(
            store, by, action="token_create",
            resource=f"user {username}", detail={"token_id": token_id, "name": name.strip()},
        )  # fmt: skip
    return token_id, token


def user_for_token(store: Store, token: str) -> User | None:
    token_sha256 = digest(token)
    user_id = db.token_owner(store, token_sha256)
    if user_id is None:
        return None
    user = get_user(store, user_id=user_id)
    if user.disabled:
        return None
    if not store.read_only:  # a read-only warehouse still answers; the use is just not recorded
        db.touch_token(store, token_sha256)
    return user


def list_tokens(store: Store, username: str | None = None) -> list[dict[str, Any]]:
    user_id = get_user(store, username=username).user_id if username else None
    return db.token_rows(store, user_id=user_id)


def revoke_token(store: Store, token_id: int, *, by: User | None) -> None:
    with store.transaction():
        if not db.revoke_token(store, token_id):
            raise UserError(f"no active token #{token_id}")
        audit.record(
            store, by, action="token_revoke",
            resource=f"token {token_id}", detail=None,
        )  # fmt: skip


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str


def start_session(store: Store, user: User) -> tuple[str, str]:
    """A new web session: the cookie value and its CSRF token."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
    db.insert_session(
        store, session_sha256=digest(session_id), user_id=user.user_id, csrf_token=csrf, expires_at=expires
    )
    return session_id, csrf


def session_for(store: Store, session_id: str) -> Session | None:
    row = db.session_row(store, digest(session_id))
    if row is None:
        return None
    user = get_user(store, user_id=row["user_id"])
    return None if user.disabled else Session(user, row["csrf_token"])


def end_session(store: Store, session_id: str) -> None:
    db.delete_sessions(store, session_sha256=digest(session_id))
