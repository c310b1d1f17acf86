"""The Signals & actions board (columns by action status, the ranked signals without an action yet)
and the signal page (its findings, series, evidence, action and the interactions behind it). Their
forms post here and work without JavaScript; app.js adds drag-and-drop over the API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from signalroom.api.deps import AuthDep, StoreDep, allow
from signalroom.api.errors import ApiError
from signalroom.api.services import actions as action_service
from signalroom.api.services import signals as signal_service
from signalroom.auth.roles import EVERYONE, FLAG_SIGNALS, MANAGE_ACTIONS, READ_INTERACTIONS
from signalroom.auth.users import User
from signalroom.web.render import redirect_back, render

router = APIRouter(include_in_schema=False)

INTERACTIONS_PER_PAGE = 50


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ApiError(422, f"{field}: {text.strip()!r} is not a date (YYYY-MM-DD)") from None


def _abilities(user: User) -> dict[str, bool]:
    return {
        "can_manage": user.role in MANAGE_ACTIONS,
        "can_read_actions": user.role in action_service.ACTION_READERS,
        "can_flag": user.role in FLAG_SIGNALS,
        "can_read_interactions": user.role in READ_INTERACTIONS,
    }


@router.get("/board", response_class=HTMLResponse, operation_id="boardPage", dependencies=[allow(EVERYONE)])
def board_page(request: Request, store: StoreDep, found: AuthDep) -> Response:
    """The board: actions by status (read-only for executives) and the signals awaiting one; advisors
    see the ranked signals and the flag form."""
    context = {
        **action_service.board(store, found.user),
        **_abilities(found.user),
        "statuses": action_service.STATUS_LABELS,
    }
    return render(request, "board.html", context, user=found.user, csrf_token=found.csrf_token,
                  title="Signals & actions")  # fmt: skip


@router.post("/board/actions", operation_id="boardCreateAction", dependencies=[allow(MANAGE_ACTIONS)])
def board_create_action(
    store: StoreDep,
    found: AuthDep,
    signal_id: Annotated[int, Form()],
    title: Annotated[str, Form(max_length=300)] = "",
    owner_function: Annotated[str, Form(max_length=40)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    due: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=300)] = "/board",
) -> Response:
    """The board's and the signal page's form: an action on a signal, owner and due prefilled."""
    action_service.create_action(
        store, found.user, signal_id=signal_id, title=title.strip() or None, reasons=None,
        owner_function=owner_function.strip() or None, owner=owner.strip() or None, due=_day(due, "due"), rate=None,
    )  # fmt: skip
    return redirect_back(next, "/board", notice="created")


@router.post("/board/actions/{action_id}/move", operation_id="boardMoveAction", dependencies=[allow(MANAGE_ACTIONS)])
def board_move_action(
    store: StoreDep,
    found: AuthDep,
    action_id: Annotated[int, Path()],
    status: Annotated[str, Form(max_length=40)],
    rejected_reason: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=300)] = "/board",
) -> Response:
    """A card's form: move the action to another status (a rejection with its reason)."""
    action_service.update_action(
        store, found.user, action_id, status=status, rejected_reason=rejected_reason.strip() or None
    )
    return redirect_back(next, "/board", notice="moved")


@router.post("/board/flags", operation_id="boardFlagSignal", dependencies=[allow(FLAG_SIGNALS)])
def board_flag(
    store: StoreDep,
    found: AuthDep,
    text: Annotated[str, Form(max_length=2000)],
    interaction: Annotated[str, Form(max_length=300)] = "",
    next: Annotated[str, Form(max_length=300)] = "/board",
) -> Response:
    """The flag form: an advisor's flag, optionally with an interaction they may see."""
    signal_service.add_flag(store, found.user, text=text, interaction=interaction.strip() or None)
    return redirect_back(next, "/board", notice="flagged")


@router.get("/signals/{signal_id}", response_class=HTMLResponse, operation_id="signalPage",
            dependencies=[allow(EVERYONE)])  # fmt: skip
def signal_page(
    request: Request,
    store: StoreDep,
    found: AuthDep,
    signal_id: Annotated[int, Path()],
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """One signal: findings, series, evidence, owner, its action and the interactions behind it."""
    user = found.user
    abilities = _abilities(user)
    signal = signal_service.get_signal(store, user, signal_id)
    interactions: list[dict[str, Any]] = []
    total = 0
    ref = signal_service.reference(store)
    if abilities["can_read_interactions"]:
        interactions, total = signal_service.interactions_behind(
            store, user, signal_id, limit=INTERACTIONS_PER_PAGE, offset=offset, ref=ref
        )
    actions: list[dict[str, Any]] = []
    if abilities["can_read_actions"]:
        day, every = action_service.today(), {signal_id: signal}
        found_actions = action_service.list_actions(store, signal_id=signal_id)
        measured = action_service.impacts(store, found_actions)
        actions = [action_service.card(a, every, day, measured.get(int(a["action_id"]))) for a in found_actions]
    following = offset + INTERACTIONS_PER_PAGE
    context = {
        **abilities,
        "signal": signal,
        "chart": signal_service.series_chart(store, signal, ref),
        "interactions": interactions,
        "total": total,
        "offset": offset,
        "next_offset": following if following < total else None,
        "previous_offset": max(0, offset - INTERACTIONS_PER_PAGE) if offset else None,
        "actions": actions,
        "functions": action_service.OWNER_FUNCTIONS,
        "suggested_due": action_service.suggested_due(),
        "statuses": action_service.STATUS_LABELS,
    }
    return render(request, "signal.html", context, user=user, csrf_token=found.csrf_token,
                  title=f"Signal {signal_id}")  # fmt: skip
