"""Interactions for the API and the pages: lists scoped to who asks, one interaction in full (its
redacted transcript, reason, sentiment curve, metrics, situation, QA answers with their evidence and
disputes), its context card and exports. Every read checks the user's scope."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from signalroom.api import cache
from signalroom.api.deps import Filters
from signalroom.api.errors import ApiError
from signalroom.auth import audit
from signalroom.auth.roles import DISPUTE, Role, Scope
from signalroom.auth.users import User
from signalroom.journeys.context import ContextError, build_card
from signalroom.store import interaction_lists as lists
from signalroom.store.analysis_reads import interaction_detail
from signalroom.store.qa import result_rows, scorecards_in_use
from signalroom.store.warehouse import Store

# Exports hold many customers' words: for those who analyse and those who assure quality.
EXPORT_ROLES = (Role.ADMIN, Role.ANALYST, Role.QA)
EXPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


def not_found(source: str, interaction_id: str) -> ApiError:
    return ApiError(404, f"no interaction {source}/{interaction_id} among those you may see")


def query_for(scope: Scope, filters: Filters) -> lists.InteractionQuery:
    return lists.InteractionQuery(**filters.common(), scope=scope)


def list_interactions(
    store: Store, user: User, filters: Filters, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The interactions the user may see that match the filters, newest first, and how many in all."""
    return lists.list_interactions(store, query_for(user.scope, filters), limit=limit, offset=offset)


def ensure_visible(store: Store, scope: Scope, source: str, interaction_id: str) -> None:
    """404 — the same answer as for an interaction that does not exist — when out of scope."""
    owner = lists.interaction_owner(store, source, interaction_id)
    if owner is None or not scope.allows(agent_id=owner[0], team=owner[1]):
        raise not_found(source, interaction_id)


def reading(store: Store) -> Store:
    """The request's store as read-only: a read never builds episodes or keeps a fitted model."""
    return Store(store.connection, store.path, read_only=True)


def _scorecard_layout(store: Store) -> dict[str, dict[str, Any]]:
    """Per scorecard: its name and, per criterion, its name, section and place."""
    layout: dict[str, dict[str, Any]] = {}
    for card in scorecards_in_use(store):
        criteria: dict[str, dict[str, Any]] = {}
        for section in card.definition.get("sections", []):
            for criterion in section.get("criteria", []):
                criteria[criterion["id"]] = {
                    "name": criterion.get("name"),
                    "section": section.get("name"),
                    "auto_fail": bool(criterion.get("auto_fail")),
                    "order": len(criteria),
                }
        layout[card.scorecard_id] = {"name": card.definition.get("name", card.scorecard_id), "criteria": criteria}
    return layout


def _qa(store: Store, source: str, interaction_id: str) -> list[dict[str, Any]]:
    layout = _scorecard_layout(store)
    disputes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for dispute in lists.interaction_disputes(store, source, interaction_id):
        key = (dispute.pop("scorecard_id"), dispute.pop("criterion_id"))
        disputes.setdefault(key, []).append(dispute)
    results = []
    for result in result_rows(store, source, interaction_id):
        card = layout.get(result["scorecard_id"], {"name": result["scorecard_id"], "criteria": {}})
        answers = []
        for answer in result["answers"]:
            about = card["criteria"].get(answer["criterion_id"], {})
            answers.append(
                {
                    "criterion_id": answer["criterion_id"],
                    "name": about.get("name") or answer["criterion_id"],
                    "section": about.get("section"),
                    "auto_fail": about.get("auto_fail", False),
                    "value": answer["value"],
                    "confidence": answer["confidence"],
                    "explanation": answer["explanation"],
                    "evidence": answer["evidence"],
                    "disputes": disputes.get((result["scorecard_id"], answer["criterion_id"]), []),
                    "_order": about.get("order", len(card["criteria"])),
                }
            )
        answers.sort(key=lambda a: (a["_order"], a["criterion_id"]))
        for answer in answers:
            del answer["_order"]
        results.append(
            {
                "scorecard_id": result["scorecard_id"],
                "name": card["name"],
                "applies": result["applies"],
                "score": result["score"],
                "earned": result["earned"],
                "potential": result["potential"],
                "auto_failed": result["auto_failed"],
                "scored_at": result["scored_at"],
                "answers": answers,
            }
        )
    return results


def interaction_view(
    store: Store, user: User, source: str, interaction_id: str, *, client: str | None
) -> dict[str, Any]:
    """One interaction in full, as the user may see it; the view is recorded in the audit log."""
    ensure_visible(store, user.scope, source, interaction_id)
    detail = interaction_detail(store, source, interaction_id)
    if detail is None:
        raise not_found(source, interaction_id)
    rec = detail.record
    results = dict(detail.results)
    sentiment = dict(results.pop("sentiment", None) or {})
    scores = sentiment.pop("turn_scores", None) or []
    sentiment.pop("interaction_id", None)
    turns = [
        {
            "seq": t.seq,
            "speaker": t.speaker,
            "text": t.text,
            "occurred_at": t.occurred_at,
            "offset_ms": t.offset_ms,
            "end_ms": t.end_ms,
            "redactions": [{"start": r["start"], "end": r["end"], "entity": r["entity"]} for r in t.redactions],
        }
        for t in detail.turns
    ]
    # The sentiment stage scores the turns in their order: the i-th score is the i-th turn's.
    curve = [
        {"seq": t["seq"], "speaker": t["speaker"], "score": scores[i]} for i, t in enumerate(turns) if i < len(scores)
    ]
    analysed = detail.analysed
    view = {
        "source": source,
        "id": interaction_id,
        "channel": rec["channel"],
        "started_at": rec["started_at"],
        "ended_at": rec["ended_at"],
        "queue": rec["queue"],
        "direction": rec["direction"],
        "language": rec["language"],
        "agent": {
            "id": rec["agent_id"],
            "name": rec["agent_name"],
            "team": rec["agent_team"],
            "site": rec["agent_site"],
        },
        "customer_id": rec["customer_id"],
        "parent_id": rec["parent_id"],
        "resolved": rec["resolved"],
        "disposition": rec["disposition"],
        "transferred": rec["transferred"],
        "escalated": rec["escalated"],
        "turn_count": rec["turn_count"],
        "attributes": rec["attributes"],
        "analysed": None
        if analysed is None
        else {k: analysed[k] for k in ("run_id", "analysed_at", "purpose_text", "flags", "stale")},
        "reason": detail.reason,
        "turns": turns,
        "sentiment": {**sentiment, "curve": curve} if sentiment else None,
        "metrics": results.pop("metrics", None),
        "situation": results.pop("situation", None),
        "qa": _qa(store, source, interaction_id),
        "can_dispute": user.role in DISPUTE,
    }
    audit.record(store, user, action="view_transcript", resource=f"interaction {source}/{interaction_id}",
                 client=client)  # fmt: skip
    return view


def context_card(store: Store, user: User, source: str, interaction_id: str) -> dict[str, Any]:
    """The handoff context card of an interaction the user may see."""
    ensure_visible(store, user.scope, source, interaction_id)
    try:
        card = build_card(reading(store), interaction_id, source=source)
    except ContextError as exc:
        raise ApiError(404, str(exc)) from None
    return card.to_dict()


def export_file(store: Store, user: User, filters: Filters, fmt: str, *, client: str | None) -> tuple[bytes, int]:
    """The interactions the user may see that match the filters, with every derived field, as one
    file; the export is recorded in the audit log with its filters and row count."""
    if fmt not in lists.EXPORT_FORMATS:
        raise ApiError(422, f"unknown export format {fmt!r}: use {' or '.join(lists.EXPORT_FORMATS)}",
                       fields=[{"location": "query.format", "problem": "unknown format"}])  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="signalroom-export-") as folder:
        out = Path(folder) / f"interactions.{fmt}"
        written = lists.export_interactions(store, query_for(user.scope, filters), out, fmt)
        content = out.read_bytes() if out.exists() else b""
    detail = {"format": fmt, "rows": written, "filters": filters_dict(filters), "scope": user.scope.describe()}
    audit.record(store, user, action="export", resource="interactions", detail=detail, client=client)
    return content, written


def filters_dict(filters: Filters) -> dict[str, Any]:
    """The filters that were given, as the query names them."""
    values = {
        "from": filters.date_from,
        "to": filters.date_to,
        "channel": filters.channel,
        "reason": filters.reason,
        "queue": filters.queue,
        "team": filters.team,
        "agent": filters.agent,
    }
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items() if v is not None}


def export_name(fmt: str, now: datetime) -> str:
    return f"interactions-{now:%Y%m%d-%H%M%S}.{fmt}"


def filter_options(store: Store, user: User) -> dict[str, list[Any]]:
    """The choices of the filter form, among the interactions the user may see."""
    scope = user.scope
    query = query_for(scope, Filters())
    key = ("interactions.filter_options", scope.teams, scope.agent_id, scope.own_only)
    return cache.cached(store, key, lambda: lists.filter_options(store, query))
