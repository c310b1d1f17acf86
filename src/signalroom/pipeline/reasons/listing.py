"""The discovered reasons in use, as `signalroom topics`, the pages and the API list them. Kept apart
from the analysis, whose import (embedders, Presidio) costs seconds a page cannot wait."""

from __future__ import annotations

from typing import Any

from signalroom.pipeline.reasons.model import ReasonModel
from signalroom.store import reason_models
from signalroom.store.warehouse import Store


def resolve_tier(store: Store, tier: str | None) -> str:
    """The tier named, else the one in use (of the newest reasons), else fast."""
    return tier or reason_models.tier_in_use(store) or "fast"


def reason_listing(store: Store, tier: str | None = None) -> dict[str, Any] | None:
    """The reasons of the model in use (of ``tier``, else the tier in use), largest first, with how
    many interactions each has and how many no reason explains; None before any model is fitted."""
    tier = resolve_tier(store, tier)
    stored = reason_models.latest_model(store, tier)
    if stored is None:
        return None
    version, state = stored
    counts = reason_models.reason_counts(store, version)
    reasons = ReasonModel.from_json(state).topic_info()
    for reason in reasons:
        reason["interactions"] = counts.get(reason["id"], 0)
    return {
        "method": "discovered",
        "model_version": version,
        "tier": tier,
        "reasons": reasons,
        "unexplained": reason_models.unexplained_count(store, version),
    }
