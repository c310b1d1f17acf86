"""The interactions pages: the list with its filter form and pager (scoped to who asks), and one
interaction — transcript with redaction marks and QA evidence highlighted, reason, sentiment curve,
situation, metrics, QA answers with dispute forms, and the context card."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from signalroom.api.deps import AuthDep, Filters, StoreDep, allow, client_address
from signalroom.api.errors import ApiError
from signalroom.api.services import interactions as service
from signalroom.auth.roles import DISPUTE, READ_CUSTOMERS, READ_INTERACTIONS
from signalroom.web.render import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
_FILTER_NAMES = ("from", "to", "channel", "reason", "queue", "team", "agent")
# The conversation metrics worth a row on the page, in this order, when the channel has them.
METRICS = (
    ("duration_s", "duration (s)"),
    ("talk_time_s", "talk time (s)"),
    ("talk_ratio_customer", "customer talk ratio"),
    ("silence_pct", "silence (%)"),
    ("longest_silence_s", "longest silence (s)"),
    ("hold_s", "hold (s)"),
    ("holds", "holds"),
    ("interruptions", "interruptions"),
    ("words_per_minute", "words per minute"),
    ("first_response_s", "first response (s)"),
    ("response_median_s", "median response (s)"),
    ("customer_wait_max_s", "longest customer wait (s)"),
    ("exchanges", "exchanges"),
    ("transfers", "transfers"),
)


def _day(name: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiError(422, f"'{name}' must be a date, YYYY-MM-DD, not {raw!r}") from None


def page_filters(request: Request) -> tuple[Filters, dict[str, str]]:
    """The common filters from the form (an empty field is no filter), and the values as given."""
    given = {n: request.query_params.get(n, "").strip() for n in _FILTER_NAMES}
    given = {n: v for n, v in given.items() if v}
    reason = given.get("reason")
    if reason is not None and not reason.lstrip("-").isdigit():
        raise ApiError(422, f"'reason' must be a reason id (a number), not {reason!r}")
    filters = Filters(
        date_from=_day("from", given["from"]) if "from" in given else None,
        date_to=_day("to", given["to"]) if "to" in given else None,
        channel=given.get("channel"),
        reason=int(reason) if reason is not None else None,
        queue=given.get("queue"),
        team=given.get("team"),
        agent=given.get("agent"),
    )
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise ApiError(422, f"'to' ({filters.date_to}) is before 'from' ({filters.date_from})")
    return filters, given


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(422, f"'page' must be a whole number from 1, not {raw!r}")
    return int(raw)


@router.get("/interactions", response_class=HTMLResponse, dependencies=[allow(READ_INTERACTIONS)])
def interactions_page(request: Request, store: StoreDep, found: AuthDep) -> Response:
    filters, given = page_filters(request)
    number = _page_number(request)
    items, total = service.list_interactions(
        store, found.user, filters, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))

    def link(to: int) -> str:
        return "/interactions?" + urlencode({**given, "page": to})

    context = {
        "items": items,
        "total": total,
        "given": given,
        "options": service.filter_options(store, found.user),
        "scope": found.user.scope.describe(),
        "page_number": number,
        "pages": pages,
        "previous_link": link(number - 1) if number > 1 else None,
        "next_link": link(number + 1) if number < pages else None,
        "export_link": "/api/v1/export/interactions?" + urlencode({**given, "format": "csv"}),
        "may_export": found.user.role in service.EXPORT_ROLES,
    }
    return render(request, "interactions.html", context, user=found.user, csrf_token=found.csrf_token,
                  title="Interactions")  # fmt: skip


def _spans(text: str, evidence: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Where each quoted piece of evidence is in the turn: at its recorded span when the words are
    there, else the first place they occur."""
    found = []
    for item in evidence:
        quote = item.get("text") or ""
        start, end = item.get("start"), item.get("end")
        if (
            isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= len(text)
            and (not quote or text[start:end] == quote)
        ):
            found.append((start, end))
            continue
        at = text.find(quote) if quote else -1
        if at >= 0:
            found.append((at, at + len(quote)))
    return found


def marked_text(text: str, redactions: list[dict[str, Any]], evidence: list[tuple[int, int]]) -> Markup:
    """The turn's text, escaped, with its redaction marks as ``<span class="redacted">`` and the
    quoted evidence in ``<mark class="evidence">``."""
    marks = [(r["start"], r["end"]) for r in redactions if 0 <= r["start"] < r["end"] <= len(text)]
    cuts = sorted({0, len(text), *(p for span in marks + evidence for p in span)})
    out: list[str] = []
    for a, b in pairwise(cuts):
        piece = str(escape(text[a:b]))
        if any(s <= a and b <= e for s, e in marks):
            piece = f'<span class="redacted">{piece}</span>'
        if any(s <= a and b <= e for s, e in evidence):
            piece = f'<mark class="evidence">{piece}</mark>'
        out.append(piece)
    return Markup("".join(out).replace('</mark><mark class="evidence">', ""))


def _sentiment_chart(view: dict[str, Any]) -> dict[str, Any] | None:
    curve = (view.get("sentiment") or {}).get("curve") or []
    if not curve:
        return None
    labels = [f"{c['seq']}" for c in curve]

    def series(speaker: str, colour: str) -> dict[str, Any]:
        return {
            "label": speaker,
            "data": [c["score"] if c["speaker"] == speaker else None for c in curve],
            "borderColor": colour,
            "backgroundColor": colour,
            "spanGaps": True,
            "tension": 0.25,
        }

    return {
        "type": "line",
        "data": {"labels": labels, "datasets": [series("customer", "#d9480f"), series("agent", "#1c7ed6")]},
        "options": {
            "scales": {"y": {"min": -1, "max": 1, "title": {"display": True, "text": "sentiment"}},
                       "x": {"title": {"display": True, "text": "turn"}}},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }  # fmt: skip


def _metrics(view: dict[str, Any]) -> list[tuple[str, Any]]:
    metrics = view.get("metrics") or {}
    return [(label, metrics[key]) for key, label in METRICS if metrics.get(key) is not None]


@router.get(
    "/interactions/{source}/{interaction_id}", response_class=HTMLResponse, dependencies=[allow(READ_INTERACTIONS)]
)
def interaction_page(request: Request, store: StoreDep, found: AuthDep, source: str, interaction_id: str) -> Response:
    user = found.user
    view = service.interaction_view(store, user, source, interaction_id, client=client_address(request))
    card = service.context_card(store, user, source, interaction_id)
    evidence: dict[int, list[dict[str, Any]]] = {}
    for result in view["qa"]:
        for answer in result["answers"]:
            for item in answer["evidence"]:
                if item.get("kind") == "turn" and item.get("turn") is not None:
                    evidence.setdefault(int(item["turn"]), []).append(item)
    sentiment = {c["seq"]: c["score"] for c in (view.get("sentiment") or {}).get("curve", [])}
    turns = [
        {
            **turn,
            "html": marked_text(turn["text"], turn["redactions"], _spans(turn["text"], evidence.get(turn["seq"], []))),
            "sentiment": sentiment.get(turn["seq"]),
            "cited": turn["seq"] in evidence,
        }
        for turn in view["turns"]
    ]
    context = {
        "view": view,
        "turns": turns,
        "card": card,
        "chart": _sentiment_chart(view),
        "metrics": _metrics(view),
        "may_dispute": user.role in DISPUTE,
        "customer_link": user.role in READ_CUSTOMERS,
        "back": request.url.path,
    }
    return render(request, "interaction.html", context, user=user, csrf_token=found.csrf_token,
                  title=f"Interaction {interaction_id}")  # fmt: skip
