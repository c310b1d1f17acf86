"""Zendesk mapping helpers: channels, file kinds, users, ratings and comments."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters._records import ListKey, first_object, is_email, is_phone, list_in, millis, parse_time
from signalroom.ingest.adapters.base import AdapterError

CHANNELS = {
    "email": "email",
    "web": "email",
    "web_form": "email",
    "help_center": "email",
    "api": "email",
    "mobile_sdk": "email",
    "mobile": "email",
    "rule": "email",
    "closed_ticket": "email",
    "sample_ticket": "email",
    "side_conversation": "email",
    "chat": "chat",
    "chat_transcript": "chat",
    "voice": "voice",
    "phone": "voice",
    "sms": "sms",
    "twitter": "social",
    "facebook": "social",
    "instagram": "social",
    "instagram_dm": "social",
    "whatsapp": "messaging",
    "native_messaging": "messaging",
    "line": "messaging",
    "wechat": "messaging",
    "telegram": "messaging",
    "viber": "messaging",
    "apple_business_chat": "messaging",
    "google_rcs": "messaging",
    "any_channel": "messaging",
}
_DONE = ("solved", "closed")
_OPEN = ("new", "open", "pending", "hold")
User = tuple[str | None, str | None, str | None, str | None, str | None]  # role, name, email, phone, external_id
_DIGITS = re.compile(r"\d+")


_LIST_KEYS = {
    "tickets": "tickets",
    "ratings": "satisfaction_ratings",
    "comments": "comments",
    "users": "users",
    "groups": "groups",
}


def _lister(kind: str) -> ListKey:
    """The list a page of this kind holds its records in (a ticket's own comments are not records)."""
    return list_in(_LIST_KEYS[kind])


def _kind(path: Path, head: bytes) -> str | None:
    """What a Zendesk file holds: tickets, ratings, comments, users, groups (None: not Zendesk)."""
    first = first_object(head)
    if first is not None and "kind" in first:
        return None
    if first is not None and {"requester_id", "via", "status"} <= first.keys():
        return "tickets"  # full JSON export: one ticket per line
    if b'"tickets"' in head and (b'"requester_id"' in head or b'"via"' in head):
        return "tickets"
    if b'"satisfaction_ratings"' in head:
        return "ratings"
    if b'"comments"' in head and b'"author_id"' in head and b'"tickets"' not in head:
        return "comments"
    if b'"users"' in head and b'"role"' in head and (b'"end-user"' in head or b"/api/v2/users/" in head):
        return "users"
    if b'"groups"' in head and b"/api/v2/groups/" in head:
        return "groups"
    return None


def _int(value: Any, field: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if value is None:
        raise AdapterError(f"missing required field {field}", field=field, code="missing_field")
    if isinstance(value, bool) or not isinstance(value, int):
        code = "missing_field" if value is None else "wrong_type"
        raise AdapterError(f"{field}: expected an integer id, got {value!r}", field=field, code=code)
    return value


def _user(obj: dict[str, Any]) -> User:
    return tuple(  # type: ignore[return-value]
        obj.get(k) if isinstance(obj.get(k), str) and obj.get(k) else None
        for k in ("role", "name", "email", "phone", "external_id")
    )


def _person(ident: int, user: User | None) -> dict[str, Any]:
    ref: dict[str, Any] = {"id": str(ident)}
    if user is not None:
        _, name, email, phone, external = user
        if name:
            ref["name"] = name[:256]
        if email and is_email(email):
            ref["email"] = email
        if phone and is_phone(phone):
            ref["phone"] = phone
        if external:
            ref["account"] = external[:512]
    return ref


def answers(rating: Any, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A satisfaction rating's answers (csat, comment) and what is kept in attributes."""
    if not isinstance(rating, dict):
        raise AdapterError(f"{prefix.rstrip('.')}: expected an object", field=prefix.rstrip("."), code="wrong_type")
    score = rating.get("score")
    found: dict[str, Any] = {}
    kept: dict[str, Any] = {"satisfaction_score": score}
    if isinstance(rating.get("id"), int):
        kept["satisfaction_rating_id"] = rating["id"]
    if isinstance(score, str) and score.startswith("good"):
        found["csat"] = 5
    elif isinstance(score, str) and score.startswith("bad"):
        found["csat"] = 1
    elif isinstance(score, int) and not isinstance(score, bool) and 1 <= score <= 5:
        found["csat"] = score
    elif score not in ("offered", "unoffered", None) and not isinstance(score, int | float):
        raise AdapterError(
            f"{prefix}score: unknown score {score!r} (expected good, bad, offered, unoffered or a number)",
            field=f"{prefix}score",
            code="unknown_value",
        )
    if isinstance(rating.get("comment"), str) and rating["comment"].strip():
        found["comment"] = rating["comment"]
    if isinstance(rating.get("reason"), str) and rating["reason"]:
        kept["satisfaction_reason"] = rating["reason"]
    return found, kept


def _turn(
    c: Any,
    where: str,
    requester: int | None,
    assignee: int | None,
    created: datetime | None,
    users: dict[int, User],
) -> dict[str, Any]:
    if not isinstance(c, dict):
        raise AdapterError(f"{where}: expected a comment object", field=where, code="wrong_type")
    text = c.get("plain_body") if isinstance(c.get("plain_body"), str) else c.get("body")
    if not isinstance(text, str):
        raise AdapterError(
            f"{where}.body: expected the comment text, got {text!r}",
            field=f"{where}.body",
            code="missing_field" if text is None else "wrong_type",
        )
    at = parse_time(c.get("created_at"), f"{where}.created_at")
    author = _int(c.get("author_id"), f"{where}.author_id")
    public = c.get("public") is not False
    role = users[author][0] if author in users else None
    if role == "end-user" or (role is None and author == requester):
        speaker = "customer"
    elif role in ("agent", "admin") or (role is None and (author == assignee or not public)):
        speaker = "agent"
    else:
        speaker = "system"  # an author this load does not know (not the requester or assignee)
    turn: dict[str, Any] = {"speaker": speaker, "text": text, "at": at, "public": public, "author_id": author}
    if created is not None and (offset := millis(created, at)) >= 0:
        turn["offset_ms"] = offset
    if c.get("id") is not None:
        turn["comment_id"] = c["id"]
    via = c.get("via")
    if isinstance(via, dict) and via.get("channel"):
        turn["via_channel"] = via["channel"]
    return turn
