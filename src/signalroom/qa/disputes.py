"""Disputes (docs/qa.md#disputes): an agent challenges an automated answer with a comment; a
reviewer accepts it — the corrected answer replaces the automated one, now and in every later
rescoring — or rejects it. Every step is kept."""

from __future__ import annotations

from typing import Any

from signalroom.qa.run import score
from signalroom.store import qa_disputes as store_disputes
from signalroom.store.analysis_reads import find_interaction_sources
from signalroom.store.warehouse import Store

VALUES = ("pass", "fail", "na")


class DisputeError(ValueError):
    pass


def _source(store: Store, interaction_id: str, source: str | None) -> str:
    sources = [source] if source else find_interaction_sources(store, interaction_id)
    if not sources:
        raise DisputeError(f"no interaction {interaction_id!r}")
    if len(sources) > 1:
        raise DisputeError(f"interaction {interaction_id!r} is in several sources ({', '.join(sources)}): name one")
    return sources[0]


def raise_dispute(
    store: Store, interaction_id: str, criterion_id: str, *, by: str, comment: str,
    scorecard_id: str | None = None, source: str | None = None,
) -> int:  # fmt: skip
    if not by.strip() or not comment.strip():
        raise DisputeError("a dispute needs who raises it (--by) and why (--comment)")
    source = _source(store, interaction_id, source)
    found = store_disputes.answer_of(store, source, interaction_id, criterion_id, scorecard_id)
    if not found:
        raise DisputeError(f"interaction {interaction_id!r} has no answer for criterion {criterion_id!r}")
    if len(found) > 1:
        cards = ", ".join(card for card, _ in found)
        raise DisputeError(f"criterion {criterion_id!r} is in several scorecards ({cards}): name one with --scorecard")
    card, value = found[0]
    existing = store_disputes.open_dispute(store, source, interaction_id, card, criterion_id)
    if existing is not None:
        raise DisputeError(f"dispute {existing} about this answer is still open")
    return store_disputes.insert_dispute(store, source, interaction_id, card, criterion_id, value, by, comment)


def review_dispute(
    store: Store, dispute_id: int, *, accept: bool, by: str, comment: str | None = None, value: str | None = None
) -> dict[str, Any]:
    """Accept (the answer becomes ``value``, by default the opposite of pass/fail) or reject."""
    found = store_disputes.disputes(store, dispute_id=dispute_id)
    if not found:
        raise DisputeError(f"no dispute {dispute_id}")
    dispute = found[0]
    if dispute["status"] != "open":
        raise DisputeError(f"dispute {dispute_id} was already {dispute['status']} by {dispute['reviewer']}")
    if not by.strip():
        raise DisputeError("a review needs who reviews it (--by)")
    if value is not None and value not in VALUES:
        raise DisputeError(f"--value {value!r}: use pass, fail or na")
    corrected = None
    if accept:
        flipped = {"pass": "fail", "fail": "pass"}.get(dispute["original_value"])
        corrected = value or flipped
        if corrected is None:
            raise DisputeError("accepting a dispute of a not-applicable answer needs --value pass or fail")
    store_disputes.review(store, dispute_id, "accepted" if accept else "rejected", by, comment, corrected)
    if accept:
        store_disputes.forget_result(store, dispute["source"], dispute["id"])
        score(store)
    return {**store_disputes.disputes(store, dispute_id=dispute_id)[0], "history": history(store, dispute_id)}


def history(store: Store, dispute_id: int) -> list[dict[str, Any]]:
    return store_disputes.events(store, dispute_id)
