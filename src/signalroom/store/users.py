"""Storage of users, API tokens, web sessions and the audit log (``sql/0017_users.sql``).

Only digests of tokens and session ids are stored; the services in ``signalroom.auth`` make and
check them. Nothing here opens a transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb
import orjson

from signalroom.store.warehouse import Store

USER_COLUMNS = "user_id, username, display_name, role, teams, agent_id, password_hash, disabled, created_at, created_by"
_UPDATABLE = frozenset({"display_name", "role", "teams", "agent_id", "password_hash", "disabled"})


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def insert_user(
    store: Store, *, username: str, display_name: str, role: str, teams: list[str], agent_id: str | None,
    password_hash: str | None, created_by: str,
) -> int:  # fmt: skip
    con = store.connection
    user_id = int(con.execute("SELECT nextval('user_ids')").fetchall()[0][0])
    con.execute(
        f"INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, false, now(), ?)",
        [user_id, username, display_name, role, teams, agent_id, password_hash, created_by],
    )
    return user_id


def user_rows(store: Store, *, username: str | None = None, user_id: int | None = None) -> list[dict[str, Any]]:
    where: list[str] = []
    params: list[Any] = []
    if username is not None:
        where.append("username = ?")
        params.append(username)
    if user_id is not None:
        where.append("user_id = ?")
        params.append(user_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return _dicts(store.connection.execute(f"SELECT {USER_COLUMNS} FROM users {clause} ORDER BY user_id", params))


def update_user(store: Store, user_id: int, changes: dict[str, Any]) -> None:
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    if not changes:
        return
    assignments = ", ".join(f"{name} = ?" for name in changes)
    store.connection.execute(f"UPDATE users SET {assignments} WHERE user_id = ?", [*changes.values(), user_id])


def count_users(store: Store, *, role: str | None = None) -> int:
    sql = "SELECT count(*) FROM users WHERE NOT disabled"
    params: list[Any] = []
    if role is not None:
        sql += " AND role = ?"
        params.append(role)
    return int(store.connection.execute(sql, params).fetchall()[0][0])


def insert_token(store: Store, *, user_id: int, name: str, token_sha256: str) -> int:
    con = store.connection
    token_id = int(con.execute("SELECT nextval('api_token_ids')").fetchall()[0][0])
    con.execute(
        "INSERT INTO api_tokens VALUES (?, ?, ?, ?, now(), NULL, false)", [token_id, user_id, name, token_sha256]
    )
    return token_id


def token_owner(store: Store, token_sha256: str) -> int | None:
    rows = store.connection.execute(
        "SELECT user_id FROM api_tokens WHERE token_sha256 = ? AND NOT revoked", [token_sha256]
    ).fetchall()
    return int(rows[0][0]) if rows else None


def touch_token(store: Store, token_sha256: str) -> None:
    """Records the token's use, at most every five minutes: a use is not worth a write per request,
    and two requests touching one row at once would conflict."""
    # Another request may record the same use at the same moment: one record is enough.
    with contextlib.suppress(duckdb.TransactionException):
        store.connection.execute(
            "UPDATE api_tokens SET last_used_at = now() WHERE token_sha256 = ? "
            "AND (last_used_at IS NULL OR last_used_at < now() - INTERVAL 5 MINUTE)",
            [token_sha256],
        )


def token_rows(store: Store, *, user_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT t.token_id, t.user_id, u.username, t.name, t.created_at, t.last_used_at, t.revoked "
        "FROM api_tokens t JOIN users u USING (user_id)"
    )
    params: list[Any] = []
    if user_id is not None:
        sql += " WHERE t.user_id = ?"
        params.append(user_id)
    return _dicts(store.connection.execute(sql + " ORDER BY t.token_id", params))


def revoke_token(store: Store, token_id: int) -> bool:
    rows = store.connection.execute(
        "UPDATE api_tokens SET revoked = true WHERE token_id = ? AND NOT revoked RETURNING token_id", [token_id]
    ).fetchall()
    return bool(rows)


def insert_session(store: Store, *, session_sha256: str, user_id: int, csrf_token: str, expires_at: datetime) -> None:
    store.connection.execute(
        "INSERT INTO web_sessions VALUES (?, ?, ?, now(), ?)", [session_sha256, user_id, csrf_token, expires_at]
    )


def session_row(store: Store, session_sha256: str) -> dict[str, Any] | None:
    rows = _dicts(
        store.connection.execute(
            "SELECT user_id, csrf_token, expires_at FROM web_sessions WHERE session_sha256 = ? AND expires_at > now()",
            [session_sha256],
        )
    )
    return rows[0] if rows else None


def delete_sessions(store: Store, *, session_sha256: str | None = None, user_id: int | None = None) -> None:
    if session_sha256 is not None:
        store.connection.execute("DELETE FROM web_sessions WHERE session_sha256 = ?", [session_sha256])
    if user_id is not None:
        store.connection.execute("DELETE FROM web_sessions WHERE user_id = ?", [user_id])
    store.connection.execute("DELETE FROM web_sessions WHERE expires_at <= now()")


def insert_audit(
    store: Store, *, username: str, role: str, action: str, resource: str | None, detail: dict[str, Any] | None,
    client: str | None,
) -> None:  # fmt: skip
    store.connection.execute(
        "INSERT INTO audit_log VALUES (nextval('audit_ids'), now(), ?, ?, ?, ?, ?, ?)",
        [username, role, action, resource, None if detail is None else orjson.dumps(detail).decode(), client],
    )


def audit_rows(
    store: Store, *, username: str | None = None, action: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    where, params = [], []
    if username is not None:
        where.append("username = ?")
        params.append(username)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = int(store.connection.execute(f"SELECT count(*) FROM audit_log {clause}", params).fetchall()[0][0])
    rows = _dicts(
        store.connection.execute(
            f"SELECT audit_id, logged_at, username, role, action, resource, detail, client FROM audit_log {clause} "
            "ORDER BY audit_id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )
    for row in rows:
        row["detail"] = orjson.loads(row["detail"]) if row["detail"] else None
    return rows, total


def usernames_in_teams(store: Store, teams: Sequence[str]) -> list[str]:
    """The users who work in these teams: advisors whose agent handled interactions in one of them,
    and supervisors of one of them."""
    rows = store.connection.execute(
        "SELECT username FROM users WHERE (role = 'supervisor' AND list_has_any(teams, ?::VARCHAR[])) "
        "OR (role = 'advisor' AND agent_id IN (SELECT agent_id FROM interactions "
        "WHERE list_contains(?::VARCHAR[], agent_team))) ORDER BY username",
        [list(teams), list(teams)],
    ).fetchall()
    return [str(r[0]) for r in rows]
