"""Resolutions mined from past interactions (docs/assist.md#resolutions): for each conversation
that ended resolved and was not followed by another contact about it, what resolved it — the
agent's words just before the customer was satisfied (or the agent's turn that closed it) and
the article the agent sent, when a turn links one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from signalroom.assist.types import PastResolution

_URL = re.compile(r"https?://[^\s<>\"')]+")


def _resolving_turn(turns: list[dict[str, Any]], ended: Mapping[str, Any]) -> int | None:
    """The index of the agent turn that resolved the conversation, from the ending's evidence."""
    seqs = [t["seq"] for t in turns]
    marks = [e.get("turn_seq") for e in ended.get("evidence") or () if e.get("kind") == "turn"]
    marks = [m for m in marks if m in seqs]
    if not marks:
        return None
    at = seqs.index(min(marks))
    if turns[at]["speaker"] == "agent":
        return at
    earlier = [i for i in range(at) if turns[i]["speaker"] == "agent"]
    return earlier[-1] if earlier else None


def mine(
    rows: list[dict[str, Any]], labels: Mapping[int, str], article_urls: Mapping[str, str]
) -> list[PastResolution]:
    """PastResolutions from :func:`signalroom.store.assist_reads.resolved_conversations` rows;
    ``article_urls`` maps an article's URL to its id. A conversation whose resolving turn cannot
    be told is left out: it has nothing to suggest."""
    found: list[PastResolution] = []
    for row in rows:
        turns = row["turns"]
        at = _resolving_turn(turns, row["ended"])
        if at is None:
            continue
        article = next(
            (article_urls[u.rstrip(".,;")] for t in turns[: at + 1] for u in _URL.findall(t["text"] or "")
             if u.rstrip(".,;") in article_urls),
            None,
        )  # fmt: skip
        topic = row["topic_id"]
        found.append(
            PastResolution(
                interaction=f"{row['source']}/{row['id']}",
                text=" ".join(t["text"] for t in turns[:at] if t["text"]),
                reason=labels.get(topic) if topic is not None else None,
                article_id=article,
                resolution=turns[at]["text"],
            )
        )
    return found
