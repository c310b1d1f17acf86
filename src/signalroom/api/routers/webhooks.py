"""/api/v1/webhooks: outbound webhooks to ticketing and chat tools (docs/webhooks.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field, model_validator

from signalroom.api.deps import PageDep, StoreDep, allow, page_of
from signalroom.api.services import actions as service
from signalroom.auth.roles import ADMIN_ONLY
from signalroom.store.webhooks import EVENT_TYPES

router = APIRouter(prefix="/webhooks", tags=["webhooks"], dependencies=[allow(ADMIN_ONLY)])


class WebhookCreate(BaseModel):
    url: str = Field(min_length=1, max_length=2000, description="Where to POST events (http:// or https://).")
    secret: str = Field(max_length=500, description="The shared secret receivers verify signatures with (16+).")
    events: list[str] | None = Field(
        default=None, description=f"Event types to send (default all): {', '.join(EVENT_TYPES)}, or '*'."
    )


class ReplayCreate(BaseModel):
    delivery_ids: list[int] | None = Field(default=None, description="The dead deliveries to send again.")
    all: bool = Field(default=False, description="Replay every dead delivery.")

    @model_validator(mode="after")
    def _one(self) -> ReplayCreate:
        if (self.delivery_ids is None) == (not self.all):
            raise ValueError("give either delivery_ids or all: true")
        return self


@router.get("", operation_id="listWebhooks")
def list_webhooks(store: StoreDep, params: PageDep) -> dict[str, Any]:
    """Subscriptions, with how many of their deliveries are pending, delivered and dead (never the secret)."""
    return page_of(service.webhooks(store), params)


@router.post("", status_code=201, operation_id="addWebhook")
def add_webhook(store: StoreDep, body: Annotated[WebhookCreate, Body()]) -> dict[str, Any]:
    """Subscribes a URL to the events emitted from now on."""
    return service.add_webhook(store, body.url, body.secret, body.events)


@router.post("/{subscription_id}/disable", operation_id="disableWebhook")
def disable_webhook(
    store: StoreDep, subscription_id: Annotated[int, Path(description="The subscription.")]
) -> dict[str, Any]:
    """Stops sending to a subscription; its pending deliveries are kept, not sent."""
    return service.disable_webhook(store, subscription_id)


@router.get("/dead-letters", operation_id="listDeadLetters")
def list_dead_letters(
    store: StoreDep,
    params: PageDep,
    include_replayed: Annotated[bool, Query(description="Also the dead letters already replayed.")] = False,
) -> dict[str, Any]:
    """Deliveries that exhausted their attempts, oldest first."""
    return page_of(service.dead_letters(store, include_replayed=include_replayed), params)


@router.post("/dead-letters/replay", operation_id="replayDeadLetters")
def replay_dead_letters(store: StoreDep, body: Annotated[ReplayCreate, Body()]) -> dict[str, Any]:
    """Puts dead deliveries back in their queue, attempts reset, same event key."""
    return {"replayed": service.replay(store, None if body.all else body.delivery_ids)}
