"""/api/v1/actions: signals turned into owned work, tracked to measured impact (docs/actions.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, page_of
from signalroom.api.services import actions as service
from signalroom.auth.roles import MANAGE_ACTIONS

router = APIRouter(prefix="/actions", tags=["actions"])

ActionId = Annotated[int, Path(description="The action's id.")]
_STATUSES = ", ".join(service.STATUSES)


class ActionCreate(BaseModel):
    """From a signal (its title, reasons and suggested owner unless given), or standalone (a title,
    reasons and an owner function)."""

    signal_id: int | None = Field(default=None, description="The signal it acts on.")
    title: str | None = Field(default=None, max_length=300, description="What is to be done (default: the signal's).")
    reasons: list[int] | None = Field(default=None, description="Reason ids its impact is measured on.")
    owner_function: str | None = Field(
        default=None, description="product, marketing, operations, policy, training, workforce or qa."
    )
    owner: str | None = Field(default=None, max_length=200, description="Named owner (default: the signal's).")
    due: date | None = Field(default=None, description="Due date, YYYY-MM-DD.")
    rate: str | None = Field(
        default=None, description="share, repeat_rate, negative_sentiment or transfer_rate (default: from the signal)."
    )


class ActionUpdate(BaseModel):
    status: str | None = Field(
        default=None, description=f"One of {_STATUSES}: open → in_progress → done → verified; rejected with a reason."
    )
    rejected_reason: str | None = Field(default=None, max_length=2000, description="Why it is rejected.")
    owner: str | None = Field(default=None, max_length=200)
    owner_function: str | None = None
    due: date | None = Field(default=None, description="New due date, YYYY-MM-DD.")
    title: str | None = Field(default=None, max_length=300)


class CommentCreate(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class EvidenceCreate(BaseModel):
    interaction: str = Field(min_length=3, max_length=300, description="An interaction you may see, as SOURCE/ID.")
    note: str | None = Field(default=None, max_length=2000, description="Why it is linked.")


@router.get("", operation_id="listActions", dependencies=[allow(service.ACTION_READERS)])
def list_actions(
    store: StoreDep,
    params: PageDep,
    status: Annotated[str | None, Query(description=f"Only this status ({_STATUSES}).")] = None,
    owner: Annotated[str | None, Query(description="Only this named owner.")] = None,
    owner_function: Annotated[str | None, Query(alias="function", description="Only this owner function.")] = None,
    overdue: Annotated[bool, Query(description="Only open or in-progress ones past their due date.")] = False,
    signal_id: Annotated[int | None, Query(description="Only the actions on this signal.")] = None,
) -> dict[str, Any]:
    """Actions, oldest first."""
    found = service.list_actions(
        store, status=status, owner=owner, owner_function=owner_function, overdue=overdue, signal_id=signal_id
    )
    return page_of(found, params)


@router.post("", status_code=201, operation_id="createAction", dependencies=[allow(MANAGE_ACTIONS)])
def create_action(store: StoreDep, user: CurrentUser, body: Annotated[ActionCreate, Body()]) -> dict[str, Any]:
    """Creates an open action, as you, from a signal or by hand; announced as action.created."""
    return service.create_action(
        store, user, signal_id=body.signal_id, title=body.title, reasons=body.reasons,
        owner_function=body.owner_function, owner=body.owner, due=body.due, rate=body.rate,
    )  # fmt: skip


@router.get("/{action_id}", operation_id="getAction", dependencies=[allow(service.ACTION_READERS)])
def get_action(store: StoreDep, user: CurrentUser, action_id: ActionId) -> dict[str, Any]:
    """An action with its history, its evidence (a supervisor sees the pieces about their teams'
    interactions) and, once done, its impact: the driving rate before and after, with a
    significance test and the daily series."""
    return service.show_action(store, action_id, user.scope)


@router.patch("/{action_id}", operation_id="updateAction", dependencies=[allow(MANAGE_ACTIONS)])
def update_action(
    store: StoreDep, user: CurrentUser, action_id: ActionId, body: Annotated[ActionUpdate, Body()]
) -> dict[str, Any]:
    """Moves an action on (a transition the status does not allow answers 409), or changes its owner,
    function, due date or title; every change is kept in its history and announced."""
    return service.update_action(
        store, user, action_id, status=body.status, rejected_reason=body.rejected_reason, owner=body.owner,
        owner_function=body.owner_function, due=body.due, title=body.title,
    )  # fmt: skip


@router.post("/{action_id}/comments", status_code=201, operation_id="commentOnAction",
             dependencies=[allow(MANAGE_ACTIONS)])  # fmt: skip
def comment_on_action(
    store: StoreDep, user: CurrentUser, action_id: ActionId, body: Annotated[CommentCreate, Body()]
) -> dict[str, Any]:
    """Adds a comment to the action's history."""
    return service.update_action(store, user, action_id, comment=body.text)


@router.post("/{action_id}/evidence", status_code=201, operation_id="addActionEvidence",
             dependencies=[allow(MANAGE_ACTIONS)])  # fmt: skip
def add_action_evidence(
    store: StoreDep, user: CurrentUser, action_id: ActionId, body: Annotated[EvidenceCreate, Body()]
) -> dict[str, Any]:
    """Links an interaction you may see to the action as evidence, with an optional note."""
    return service.update_action(store, user, action_id, evidence=[body.interaction.strip()], note=body.note)
