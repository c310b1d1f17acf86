"""A user-seeded reason taxonomy in the warehouse: ``signalroom topics seed|unseed|candidates``.

Seeding validates the YAML, embeds its examples once (the fitted state is stored, so assignment
never embeds them again) and assigns every analysed interaction to the taxonomy's reasons
(``interaction_reasons.method = 'taxonomy'``); ``signalroom analyze`` then assigns new ones the
same way. The discovered model is still fitted; its reasons that the taxonomy leaves mostly
unexplained are the candidate new reasons.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from signalroom.pipeline.embed import make_embedder
from signalroom.pipeline.names import TIERS
from signalroom.pipeline.reasons import ReasonModel, Taxonomy, TaxonomyError, candidate_new_reasons
from signalroom.pipeline.reasons.taxonomy import THRESHOLD_BY_TIER
from signalroom.store import analysis_writes, reason_models, taxonomies
from signalroom.store.warehouse import Store


class SeedError(ValueError):
    """A taxonomy that cannot be seeded or used; the message says why."""


def _check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise SeedError(f"unknown embedding tier {tier!r}; expected fast or quality")


def load_taxonomy(store: Store, tier: str) -> tuple[int, Taxonomy] | None:
    """The taxonomy in use on this tier, fitted: (version, taxonomy)."""
    stored = taxonomies.latest_taxonomy(store, tier)
    return (stored[0], Taxonomy.from_json(stored[1])) if stored else None


def seed_taxonomy(store: Store, path: Path, *, tier: str = "fast", threshold: float | None = None) -> dict[str, Any]:
    """Validate, embed and store a taxonomy, and assign every analysed interaction of this tier to
    it. Raises TaxonomyError (naming line and field) for a file that does not validate."""
    _check_tier(tier)
    if threshold is not None and not 0.0 < threshold < 1.0:
        raise SeedError(f"threshold must be between 0 and 1, got {threshold}")
    taxonomy = Taxonomy.from_yaml(path, threshold=THRESHOLD_BY_TIER[tier] if threshold is None else threshold)
    source = path.read_text(encoding="utf-8")
    examples = [text for _, _, text in taxonomy.example_texts()]
    taxonomy.fit(make_embedder(tier).encode(examples))
    with store.transaction():
        version = taxonomies.save_taxonomy(store, tier=tier, source_yaml=source, state=taxonomy.to_json())
        assigned, unexplained = _assign_all(store, tier, version, taxonomy)
    return {
        "taxonomy_version": version,
        "tier": tier,
        "threshold": taxonomy.threshold,
        "reasons": len(taxonomy.reasons),
        "examples": len(examples),
        "assigned": assigned,
        "unexplained": unexplained,
    }


def _assign_all(store: Store, tier: str, version: int, taxonomy: Taxonomy) -> tuple[int, int]:
    keys, _, matrix = reason_models.purpose_embeddings(store, tier)
    if not keys:
        return 0, 0
    found = taxonomy.assign_ids(matrix)
    analysis_writes.write_reasons(
        store, version, "taxonomy", dict(zip(keys, found, strict=True)), run_id=analysis_writes.EDIT_RUN
    )
    return len(keys), sum(a.unexplained for a in found)


def unseed_taxonomy(store: Store, *, tier: str = "fast") -> dict[str, Any]:
    """Stop using this tier's taxonomy (it stays stored) and go back to the discovered reasons:
    every interaction the taxonomy assigned is reassigned by the discovered model, if there is one."""
    _check_tier(tier)
    with store.transaction():
        removed = taxonomies.remove_taxonomy(store, tier)
        if removed is None:
            raise SeedError(f"no taxonomy is seeded on the {tier} tier")
        reassigned = 0
        stored = reason_models.latest_model(store, tier)
        if stored is not None:
            keys, texts, matrix = reason_models.purpose_embeddings(store, tier)
            if keys:
                model = ReasonModel.from_json(stored[1])
                found = dict(zip(keys, model.assign(texts, matrix), strict=True))
                analysis_writes.write_reasons(store, stored[0], "discovered", found, run_id=analysis_writes.EDIT_RUN)
                reassigned = len(keys)
        dropped = taxonomies.drop_taxonomy_reasons(store, removed)
    return {
        "removed_taxonomy_version": removed,
        "tier": tier,
        "model_version": stored[0] if stored else None,
        "reassigned": reassigned,
        "left_without_reason": dropped,
    }


def taxonomy_listing(store: Store, tier: str = "fast") -> dict[str, Any] | None:
    """The seeded taxonomy's reasons, in the file's order, with how many interactions each has
    and how many it leaves unexplained; None when no taxonomy is seeded on this tier."""
    loaded = load_taxonomy(store, tier)
    if loaded is None:
        return None
    version, taxonomy = loaded
    counts = reason_models.reason_counts(store, version, "taxonomy")
    sub_counts = reason_models.sub_reason_counts(store, version, "taxonomy")
    reasons = taxonomy.reason_info()
    for reason in reasons:
        reason["interactions"] = counts.get(reason["id"], 0)
        for child in reason["children"]:
            child["interactions"] = sub_counts.get(child["id"], 0)
    return {
        "method": "taxonomy",
        "taxonomy_version": version,
        "tier": tier,
        "threshold": taxonomy.threshold,
        "reasons": reasons,
        "unexplained": reason_models.unexplained_count(store, version, "taxonomy"),
    }


def candidate_listing(store: Store, tier: str = "fast", *, min_share: float = 0.5) -> dict[str, Any]:
    """Discovered reasons that the seeded taxonomy does not cover (at least ``min_share`` of their
    interactions unexplained by it), largest first, with the nearest taxonomy reason."""
    _check_tier(tier)
    loaded = load_taxonomy(store, tier)
    if loaded is None:
        raise SeedError(f"no taxonomy is seeded on the {tier} tier: `signalroom topics seed FILE.yaml` first")
    stored = reason_models.latest_model(store, tier)
    if stored is None:
        raise SeedError("no discovered reasons yet: run `signalroom analyze` first")
    version, taxonomy = loaded
    model = ReasonModel.from_json(stored[1])
    keys, texts, matrix = reason_models.purpose_embeddings(store, tier)
    candidates: list[dict[str, Any]] = []
    unexplained = 0
    if keys:
        found = taxonomy.assign(matrix)
        unexplained = sum(a.unexplained for a in found)
        for c in candidate_new_reasons(model, taxonomy, found, model.assign(texts, matrix), min_share=min_share):
            candidates.append({
                "topic_id": c.topic_id,
                "label": c.label,
                "size": c.size,
                "unexplained_share": c.unexplained_share,
                "examples": c.examples,
                "nearest_reason": c.nearest_reason,
            })  # fmt: skip
    return {
        "taxonomy_version": version,
        "model_version": stored[0],
        "tier": tier,
        "interactions": len(keys),
        "unexplained_by_taxonomy": unexplained,
        "candidates": candidates,
    }


__all__ = [
    "SeedError",
    "TaxonomyError",
    "candidate_listing",
    "load_taxonomy",
    "seed_taxonomy",
    "taxonomy_listing",
    "unseed_taxonomy",
]
