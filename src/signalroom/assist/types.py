"""The records the assist parts hand each other: knowledge articles, past resolutions, suggestions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Article:
    """One knowledge-base article (imported from Markdown, HTML or JSON: docs/knowledge.md)."""

    id: str  # unique in the knowledge base
    title: str
    body: str  # plain text: markup removed on import
    url: str | None = None
    collection: str | None = None  # a brand, product line or queue: suggestions can be kept to one
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "tags": list(self.tags)}


@dataclass(frozen=True)
class PastResolution:
    """One past interaction and what resolved it (mined from the store: docs/assist.md#resolutions)."""

    interaction: str  # "source/id"
    text: str  # the conversation up to the resolution (customer and agent turns, in order)
    reason: str | None = None  # its contact reason
    article_id: str | None = None  # the article the agent sent or used, when known
    resolution: str | None = None  # the agent's words that resolved it, when known
    collection: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """What the agent is offered: an article, or the resolution of similar past interactions."""

    kind: Literal["article", "resolution"]
    id: str  # the article id, or the "source/id" of the past interaction for a resolution
    title: str
    confidence: float  # calibrated: the estimated probability that this is what resolves it
    why: str  # why it was suggested, in words an agent reads at a glance
    url: str | None = None
    text: str | None = None  # a snippet of the article, or the past resolution's words
    evidence: tuple[str, ...] = field(default=())  # e.g. the past interactions it was used in

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "evidence": list(self.evidence)}
