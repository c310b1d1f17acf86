"""The audit log: who viewed which transcript, who exported what, who logged in and who changed
users (docs/serve.md#audit-log)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signalroom.store import users as db
from signalroom.store.warehouse import Store

if TYPE_CHECKING:
    from signalroom.auth.users import User

# What is recorded. Reads of aggregates are not: only what shows a person's words or data.
ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "view_transcript",
    "view_customer",
    "export",
    "user_add",
    "user_update",
    "token_create",
    "token_revoke",
    # A scorecard, the routing rules or a reason's name changed on the settings pages.
    "settings_change",
)


def actor(user: User | None) -> tuple[str, str]:
    """Who did it: a user, or the command line run by whoever has the file."""
    return ("cli", "cli") if user is None else (user.username, user.role.value)


def record(
    store: Store, user: User | None, *, action: str, resource: str | None = None,
    detail: dict[str, Any] | None = None, client: str | None = None,
) -> None:  # fmt: skip
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    username, role = actor(user)
    db.insert_audit(store, username=username, role=role, action=action, resource=resource, detail=detail, client=client)


def entries(
    store: Store, *, username: str | None = None, action: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """The newest entries first, and how many match in all."""
    return db.audit_rows(store, username=username, action=action, limit=limit, offset=offset)
