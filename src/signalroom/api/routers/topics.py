"""/api/v1/topics: the contact reasons (``signalroom topics``) and the analyst's edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, client_address, page_of
from signalroom.api.services import analytics_topics as topics
from signalroom.auth.roles import ANALYSE, READ_AGGREGATES

router = APIRouter(tags=["topics"])

Tier = Annotated[
    str | None, Query(description="The embedding tier the reasons were found on (default: the tier in use).")
]


class TopicUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, description="The reason's new name.")


class TopicMergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(min_length=2, max_length=100, description="Two or more reason ids to merge.")


class TopicSplitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: int = Field(ge=2, le=50, description="How many reasons to split it into.")


@router.get("/topics", operation_id="listTopics", dependencies=[allow(READ_AGGREGATES)])
def list_topics(store: StoreDep, params: PageDep, tier: Tier = None) -> dict[str, Any]:
    """The contact reasons with their sub-reasons, sizes, key phrases and examples, largest first
    (those of the seeded taxonomy when there is one), as a page; beside the page: `method`
    (discovered or taxonomy), its version, `tier` and how many interactions no reason explains."""
    found = topics.listing(store, tier)
    meta = {k: v for k, v in found.items() if k != "reasons"}
    return {**page_of(found["reasons"], params), **meta}


@router.get("/topics/{reason_id}", operation_id="getTopic", dependencies=[allow(READ_AGGREGATES)])
def get_topic(store: StoreDep, reason_id: int, tier: Tier = None) -> dict[str, Any]:
    """One reason with its sub-reasons, or one sub-reason with its parent's id; 404 if unknown."""
    return topics.one(store, reason_id, tier)


@router.post("/topics/merge", operation_id="mergeTopics", dependencies=[allow(ANALYSE)])
def merge_topics(store: StoreDep, body: TopicMergeCreate, tier: Tier = None) -> dict[str, Any]:
    """Merge reasons into the one with the smallest id; their interactions are reassigned
    (`signalroom topics merge`)."""
    return topics.merge(store, body.ids, tier)


@router.post("/topics/{reason_id}/rename", operation_id="renameTopic", dependencies=[allow(ANALYSE)])
def rename_topic(
    request: Request, store: StoreDep, user: CurrentUser, reason_id: int, body: TopicUpdate, tier: Tier = None
) -> dict[str, Any]:
    """Give a reason or sub-reason a name of your own; refits keep it (`signalroom topics rename`)."""
    return topics.rename(store, reason_id, body.name, tier, by=user, client=client_address(request))


@router.post("/topics/{reason_id}/split", operation_id="splitTopic", dependencies=[allow(ANALYSE)])
def split_topic(store: StoreDep, reason_id: int, body: TopicSplitCreate, tier: Tier = None) -> dict[str, Any]:
    """Split a reason into `into` reasons; its interactions are reassigned (`signalroom topics split`)."""
    return topics.split(store, reason_id, body.into, tier)
