"""Zendesk Support: ticket exports, with comments, satisfaction ratings, users and groups.

A ticket becomes one interaction; its comments become turns. Comments, users, groups and
ratings may come from other files of the same load: :meth:`plan` indexes them first (comments
by ticket id and path only; users and groups as small tuples). See docs/adapters/zendesk.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from signalroom.ingest.adapters._records import (
    Found,
    head_of,
    is_json_lines,
    iter_records,
    parse_time,
    sortable_time,
)
from signalroom.ingest.adapters._zendesk_map import (
    _DIGITS,
    _DONE,
    _OPEN,
    CHANNELS,
    User,
    _int,
    _kind,
    _lister,
    _person,
    _turn,
    _user,
    answers,
)
from signalroom.ingest.adapters.base import Adapter, AdapterError, Item, ReadLimits, Rejected, Skipped, register
from signalroom.ingest.reading import load_json_document

# Skipped reasons (counted per reason in the load summary).
SUPERSEDED_TICKET = "superseded by a newer version of the ticket"
REPEATED_TICKET = "repeated by a later copy of the ticket"
REPEATED_USER = "repeated by an earlier copy of the user"
MERGED_COMMENT = "merged into the turns of its ticket"


# via.channel -> interchange channel. Written requests without a conversation channel of their
# own (web form, API, mobile SDK, follow-ups) are asynchronous tickets: the closest is email.
@register
class ZendeskAdapter(Adapter):
    name = "zendesk"
    description = "Zendesk Support tickets (incremental/list pages, full JSON export), comments, ratings, users"
    extensions = (".json", ".jsonl", ".ndjson")

    def __init__(self) -> None:
        self._limits = ReadLimits()
        self._kinds: dict[Path, str] = {}
        self._users: dict[int, User] = {}
        self._groups: dict[int, str] = {}
        self._comments: dict[int, list[Path]] = {}
        self._rated: set[int] = set()  # rating ids found in ratings files
        self._answered: set[int] = set()  # tickets with an answered rating in a ratings file
        self._merged: set[int] = set()
        self._failed: set[int] = set()

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return _kind(path, head) is not None

    def plan(self, paths: list[Path], limits: ReadLimits) -> list[Path]:
        self._limits = limits
        for path in paths:
            self._kinds[path] = _kind(path, head_of(path)) or "tickets"
        for path, kind in self._kinds.items():
            if kind == "comments":
                ticket = self._comments_ticket(path)
                if ticket is not None:
                    self._comments.setdefault(ticket, []).append(path)
                continue
            if kind not in ("users", "groups", "ratings"):
                continue
            for unit in iter_records(path, limits, _lister(kind)):
                obj = unit.obj if isinstance(unit, Found) else None
                if not isinstance(obj, dict):
                    continue
                if kind == "users" and isinstance(obj.get("id"), int):
                    self._users[obj["id"]] = _user(obj)
                elif kind == "groups" and isinstance(obj.get("id"), int) and isinstance(obj.get("name"), str):
                    self._groups[obj["id"]] = obj["name"]
                elif kind == "ratings" and isinstance(obj.get("ticket_id"), int):
                    if isinstance(obj.get("id"), int):
                        self._rated.add(obj["id"])
                    if obj.get("score") not in ("offered", "unoffered", None):
                        self._answered.add(obj["ticket_id"])
        order = ("tickets", "ratings", "users", "groups", "comments")
        return sorted(paths, key=lambda p: order.index(self._kinds[p]))

    def _comments_ticket(self, path: Path) -> int | None:
        """A comments file's ticket: its envelope's ticket_id, else the number in its file name."""
        doc = (
            load_json_document(path, self._limits.max_document_bytes)
            if not is_json_lines(path, head_of(path))
            else None
        )
        if isinstance(doc, dict) and isinstance(doc.get("ticket_id"), int):
            return int(doc["ticket_id"])
        numbers = _DIGITS.findall(path.stem)
        return int(numbers[0]) if numbers else None

    # -- reading ---------------------------------------------------------------------------

    def supplements(self, path: Path) -> bool:
        return self._kinds.get(path) in ("users", "groups", "comments")

    def read(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        kind = self._kinds.get(path) or _kind(path, head_of(path)) or "tickets"
        if kind == "tickets":
            yield from self._read_tickets(path, limits)
            return
        file = str(path)
        ticket = self._comments_ticket(path) if kind == "comments" else None
        seen: set[int] = set()
        for unit in iter_records(path, limits, _lister(kind)):
            if isinstance(unit, Rejected):
                yield unit
            elif kind == "comments":
                yield from self._comment_item(unit, ticket, file)
            elif kind == "users":
                ident = unit.obj.get("id") if isinstance(unit.obj, dict) else None
                if ident in seen:  # the same user on two pages of one file
                    yield Skipped(file, unit.location, unit.line, unit.raw, REPEATED_USER, f"user {ident}")
                    continue
                if isinstance(ident, int):
                    seen.add(ident)
                yield from self.convert(unit.obj, file=file, location=unit.location, line=unit.line, raw=unit.raw)
            elif kind == "ratings":
                yield from self._mapped(
                    self._rating(unit.obj), file=file, location=unit.location, line=unit.line, raw=unit.raw
                )

    def _read_tickets(self, path: Path, limits: ReadLimits) -> Iterator[Item]:
        """Tickets, keeping only the latest updated_at version of a ticket listed twice in the file."""
        lines = is_json_lines(path, head_of(path))
        units: Any = (
            iter_records(path, limits, _lister("tickets"))
            if lines
            else list(iter_records(path, limits, _lister("tickets")))
        )
        best: dict[int, tuple[float, str]] = {}
        for unit in units:
            if isinstance(unit, Found) and isinstance(unit.obj, dict) and isinstance(unit.obj.get("id"), int):
                key = (sortable_time(unit.obj.get("updated_at")), unit.location)
                if unit.obj["id"] not in best or key[0] >= best[unit.obj["id"]][0]:
                    best[unit.obj["id"]] = key
        if lines:
            units = iter_records(path, limits, _lister("tickets"))
        file = str(path)
        for unit in units:
            if isinstance(unit, Rejected):
                yield unit
                continue
            obj = unit.obj
            newest = best.get(obj["id"]) if isinstance(obj, dict) and isinstance(obj.get("id"), int) else None
            if newest is not None and newest[1] != unit.location:
                # An older version of a ticket updated during the export window, or a repeat of it.
                repeat = sortable_time(obj.get("updated_at")) >= newest[0]
                why = REPEATED_TICKET if repeat else SUPERSEDED_TICKET
                detail = f"ticket {obj['id']}: the version at {newest[1]} was read"
                yield Skipped(file, unit.location, unit.line, unit.raw, why, detail)
                continue
            yield from self._ticket_item(
                obj, unit.envelope, file=file, location=unit.location, line=unit.line, raw=unit.raw
            )

    def convert(self, obj: Any, *, file: str, location: str, line: int | None, raw: bytes | str) -> Iterator[Item]:
        if isinstance(obj, dict) and "score" in obj and "ticket_id" in obj:
            result: Any = self._rating(obj)
        elif isinstance(obj, dict) and "role" in obj and "requester_id" not in obj:
            result = self._customer(obj)
        elif isinstance(obj, dict) and "author_id" in obj and "requester_id" not in obj:
            result = AdapterError(
                "a comment cannot be retried alone: ingest it with its ticket",
                field="ticket_id",
                code="missing_ticket",
            )
        else:
            yield from self._ticket_item(obj, None, file=file, location=location, line=line, raw=raw)
            return
        yield from self._mapped(result, file=file, location=location, line=line, raw=raw)

    def _ticket_item(
        self,
        obj: Any,
        envelope: dict[str, Any] | None,
        *,
        file: str,
        location: str,
        line: int | None,
        raw: bytes | str,
    ) -> Iterator[Item]:
        try:
            record = self._ticket(obj, envelope)
        except AdapterError as exc:
            if isinstance(obj, dict) and isinstance(obj.get("id"), int):
                self._failed.add(obj["id"])
            yield from self._mapped(exc, file=file, location=location, line=line, raw=raw)
            return
        yield from self._mapped([record], file=file, location=location, line=line, raw=raw)

    def _comment_item(self, unit: Found, ticket: int | None, file: str) -> Iterator[Item]:
        def reject(code: str, reason: str, field: str | None) -> Rejected:
            return Rejected(file, unit.location, unit.line, unit.raw, code, reason, field)

        if ticket is None:
            yield reject(
                "missing_ticket",
                "comment without a ticket: the file has no ticket_id field and no ticket number in its name",
                "ticket_id",
            )
            return
        try:
            _turn(unit.obj, unit.location.removeprefix("$."), None, None, None, {})
        except AdapterError as exc:
            yield reject(exc.code, f"comment of ticket {ticket}: {exc.reason}", exc.field)
            return
        if ticket in self._merged:
            yield Skipped(file, unit.location, unit.line, unit.raw, MERGED_COMMENT, f"ticket {ticket}")
            return
        why = "was quarantined" if ticket in self._failed else "is not in this load"
        yield reject(
            "missing_ticket",
            f"comment of ticket {ticket} not merged: the ticket {why}; ingest the ticket export with it",
            "ticket_id",
        )

    # -- mapping ---------------------------------------------------------------------------

    def _lookup(self, envelope: dict[str, Any] | None) -> tuple[dict[int, User], dict[int, str]]:
        users, groups = self._users, self._groups
        if envelope and (envelope.get("users") or envelope.get("groups")):
            users = {
                **users,
                **{
                    u["id"]: _user(u)
                    for u in envelope.get("users") or []
                    if isinstance(u, dict) and isinstance(u.get("id"), int)
                },
            }
            groups = {
                **groups,
                **{
                    g["id"]: g["name"]
                    for g in envelope.get("groups") or []
                    if isinstance(g, dict) and isinstance(g.get("id"), int) and isinstance(g.get("name"), str)
                },
            }
        return users, groups

    def _ticket(self, t: Any, envelope: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(t, dict):
            raise AdapterError(f"expected a ticket object, got {type(t).__name__}", code="wrong_type")
        tid = _int(t.get("id"), "id")
        assert tid is not None
        created = parse_time(t.get("created_at"), "created_at")
        updated = parse_time(t["updated_at"], "updated_at") if t.get("updated_at") is not None else None
        via: dict[str, Any] = t["via"] if isinstance(t.get("via"), dict) else {}
        via_channel = via.get("channel")
        if via_channel is None:
            raise AdapterError("missing required field via.channel", field="via.channel", code="missing_field")
        channel = CHANNELS.get(str(via_channel))
        if channel is None:
            raise AdapterError(
                f"via.channel: unknown channel {via_channel!r} (known: {', '.join(CHANNELS)})",
                field="via.channel",
                code="unknown_channel",
            )
        requester = _int(t.get("requester_id"), "requester_id")
        assert requester is not None
        assignee = _int(t.get("assignee_id"), "assignee_id", required=False)
        group = _int(t.get("group_id"), "group_id", required=False)
        users, groups = self._lookup(envelope)
        status = t.get("status")
        record: dict[str, Any] = {
            "kind": "interaction",
            "id": str(tid),
            "channel": channel,
            "started_at": created,
            "customer": _person(requester, users.get(requester)),
        }
        if status in _DONE:
            metric: dict[str, Any] = t["metric_set"] if isinstance(t.get("metric_set"), dict) else {}
            solved = t.get("solved_at") or metric.get("solved_at")
            ended = parse_time(solved, "solved_at") if solved else updated
            if ended is not None:
                record["ended_at"] = ended
        if assignee is not None:
            agent = _person(assignee, users.get(assignee))
            record["agent"] = {k: v for k, v in agent.items() if k in ("id", "name")}
        if group is not None:
            record["queue"] = groups.get(group, str(group))[:256]
        rel = via["source"].get("rel") if isinstance(via.get("source"), dict) else None
        if channel == "voice" and rel in ("inbound", "outbound"):
            record["direction"] = rel
        record["outcome"] = {"resolved": True if status in _DONE else False if status in _OPEN else None}
        attributes: dict[str, Any] = {"via_channel": via_channel}
        for key in (
            "status",
            "priority",
            "type",
            "subject",
            "organization_id",
            "brand_id",
            "ticket_form_id",
            "external_id",
            "problem_id",
        ):
            if t.get(key) is not None:
                attributes[key] = t[key]
        if t.get("tags"):
            attributes["tags"] = t["tags"]
        fields = t.get("custom_fields") or []
        if isinstance(fields, list):
            values = {
                str(f["id"]): f["value"]
                for f in fields
                if isinstance(f, dict) and "id" in f and f.get("value") not in (None, "", [])
            }
            if values:
                attributes["custom_fields"] = values
        if updated is not None:
            attributes["updated_at"] = t["updated_at"]
        if t.get("satisfaction_rating") is not None:
            found, kept = answers(t["satisfaction_rating"], "satisfaction_rating.")
            attributes.update(kept)
            rating_id = t["satisfaction_rating"].get("id")
            elsewhere = rating_id in self._rated if rating_id is not None else tid in self._answered
            if found and not elsewhere:
                record["survey"] = found
        record["turns"] = self._turns(t, tid, requester, assignee, users, created)
        record["attributes"] = attributes
        return record

    def _turns(
        self,
        t: dict[str, Any],
        tid: int,
        requester: int,
        assignee: int | None,
        users: dict[int, User],
        created: datetime,
    ) -> list[dict[str, Any]]:
        turns: dict[Any, dict[str, Any]] = {}
        embedded = t.get("comments")
        if embedded is not None and not isinstance(embedded, list):
            raise AdapterError("comments: expected a list", field="comments", code="wrong_type")
        for index, comment in enumerate(embedded or []):
            turn = _turn(comment, f"comments[{index}]", requester, assignee, created, users)
            turns[turn.get("comment_id", ("embedded", index))] = turn
        for path in self._comments.get(tid, []):
            for unit in iter_records(path, self._limits, _lister("comments")):
                if not isinstance(unit, Found):
                    continue
                try:
                    turn = _turn(unit.obj, unit.location, requester, assignee, created, users)
                except AdapterError:
                    continue  # reported when the comments file is read
                turns.setdefault(turn.get("comment_id", (str(path), unit.location)), turn)
            self._merged.add(tid)
        return sorted(turns.values(), key=lambda turn: (turn["at"], str(turn.get("comment_id", ""))))

    def _rating(self, r: Any) -> list[dict[str, Any]] | AdapterError:
        try:
            if not isinstance(r, dict):
                raise AdapterError(f"expected a satisfaction rating object, got {type(r).__name__}", code="wrong_type")
            rid = _int(r.get("id"), "id")
            ticket = _int(r.get("ticket_id"), "ticket_id")
            requester = _int(r.get("requester_id"), "requester_id")
            assert requester is not None
            at = parse_time(r.get("updated_at") or r.get("created_at"), "created_at")
            found, kept = answers(r, "")
        except AdapterError as exc:
            return exc
        customer = _person(requester, self._users.get(requester))
        attributes = {k: v for k, v in kept.items() if k != "satisfaction_rating_id"}
        for key in ("assignee_id", "group_id"):
            if r.get(key) is not None:
                attributes[key] = r[key]
        if not found:  # offered / unoffered, or a score outside 1-5 without a comment: not an answer
            return [
                {
                    "kind": "event",
                    "id": f"satisfaction-rating-{rid}",
                    "type": f"survey_{r.get('score')}"
                    if r.get("score") in ("offered", "unoffered")
                    else "survey_unscored",
                    "at": at,
                    "customer": customer,
                    "properties": {"ticket_id": ticket, "rating_id": rid},
                    "attributes": attributes,
                }
            ]
        return [
            {
                "kind": "survey",
                "id": str(rid),
                "interaction_id": str(ticket),
                "at": at,
                "customer": customer,
                **found,
                "attributes": attributes,
            }
        ]

    def _customer(self, u: Any) -> list[dict[str, Any]] | AdapterError:
        if not isinstance(u, dict):
            return AdapterError(f"expected a user object, got {type(u).__name__}", code="wrong_type")
        try:
            uid = _int(u.get("id"), "id")
        except AdapterError as exc:
            return exc
        if u.get("role") != "end-user":
            return []  # agents and admins: reference data for names and comment authors
        role, name, email, phone, external = _user(u)
        record: dict[str, Any] = {"kind": "customer", "id": str(uid), "attributes": {"role": role}}
        if name:
            record["name"] = name[:256]
        if email:
            record["emails"] = [email]
        if phone:
            record["phones"] = [phone]
        if external:
            record["accounts"] = [external]
        for key in ("organization_id", "tags", "locale"):
            if u.get(key):
                record["attributes"][key] = u[key]
        return [record]
