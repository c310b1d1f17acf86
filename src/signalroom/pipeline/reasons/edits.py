"""User edits of a fitted :class:`~signalroom.pipeline.reasons.model.ReasonModel`: rename, merge, split.

Edits change the reasons that :meth:`ReasonModel.assign` uses; ``labels_`` keeps the fit's view
except that merged ids are rewritten. Names set by a user survive refits (``renamed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from signalroom.pipeline.reasons.cluster import group_sums, nearest, normalise
from signalroom.pipeline.reasons.labels import label_from
from signalroom.pipeline.reasons.topics import Topic, merge_keywords, micro_centroids

if TYPE_CHECKING:
    from signalroom.pipeline.reasons.model import ReasonModel
    from signalroom.store.warehouse import Store


def rename(model: ReasonModel, topic_id: int, name: str) -> None:
    if not name.strip():
        raise ValueError("a reason's name cannot be empty")
    topic = model._topic(topic_id)
    topic.name, topic.renamed = name.strip(), True


def merge(model: ReasonModel, topic_ids: list[int]) -> int:
    """Merge reasons into the one with the smallest id; their sub-reasons move under it."""
    ids = sorted(set(topic_ids))
    if len(ids) < 2:
        raise ValueError("merge needs at least two reason ids")
    missing = [i for i in ids if i not in model.topics_]
    if missing:
        raise KeyError(f"not reason ids (sub-reasons cannot be merged across reasons): {missing}")
    parts = [model.topics_[i] for i in ids]
    keep = parts[0]
    total = sum(p.size for p in parts)
    weighted = np.sum([p.centroid.astype(np.float64) * p.size for p in parts], axis=0)
    keep.centroid = normalise(weighted[None, :])[0]
    keep.keywords = merge_keywords([(p.keywords, p.size) for p in parts])
    examples = [e for group in zip(*(p.examples for p in parts), strict=False) for e in group]
    keep.examples = examples[: max(len(keep.examples), model.n_examples)]
    keep.prototypes = np.concatenate([p.prototypes for p in parts if len(p.prototypes)], axis=0)
    keep.prototype_sizes = [s for p in parts for s in p.prototype_sizes]
    keep.size = total
    keep.children = sorted(c for p in parts for c in p.children)
    for c in keep.children:
        model.sub_topics_[c].parent = keep.id
    if not keep.renamed:
        keep.name = label_from(keep.keywords)
    for p in parts[1:]:
        del model.topics_[p.id]
    if hasattr(model, "labels_"):
        model.labels_ = np.where(np.isin(model.labels_, ids), keep.id, model.labels_)
    return keep.id


def split(model: ReasonModel, topic_id: int, n: int) -> list[int]:
    """Split a reason into ``n`` by clustering its prototypes (micro-centroids kept from the fit).
    The largest part keeps the id; sub-reasons follow the nearest part."""
    if topic_id not in model.topics_:
        raise KeyError(f"no reason with id {topic_id}")
    topic = model.topics_[topic_id]
    if n < 2 or n > len(topic.prototypes):
        raise ValueError(f"reason {topic_id} can be split into 2..{len(topic.prototypes)} parts, not {n}")
    protos = topic.prototypes
    weights = np.asarray(topic.prototype_sizes, dtype=np.float64)
    cents, _ = micro_centroids(protos, n, model.random_state)
    for _ in range(5):
        lab, _ = nearest(protos, cents)
        sums = group_sums(protos, lab, n, weights)
        cents = normalise(sums)
    lab, _ = nearest(protos, cents)
    sizes = np.bincount(lab, weights=weights, minlength=n)
    order = [int(i) for i in np.argsort(-sizes) if sizes[i] > 0]
    if len(order) < 2:
        raise ValueError(f"reason {topic_id} does not divide into {n} parts")
    subs = [model.sub_topics_[c] for c in topic.children]
    sub_part = nearest(np.stack([s.centroid for s in subs]), cents[order])[0] if subs else np.zeros(0, dtype=np.int64)
    ids: list[int] = []
    scale = topic.size / max(float(weights.sum()), 1.0)
    for rank, part in enumerate(order):
        mine = [s for s, p in zip(subs, sub_part, strict=True) if p == rank]
        keys = merge_keywords([(s.keywords, s.size) for s in mine]) if mine else list(topic.keywords)
        if rank == 0:
            new = topic
        else:
            new = Topic(id=model.next_id_, name="", keywords=[], size=0, examples=[], centroid=cents[part])
            model.next_id_ += 1
            model.topics_[new.id] = new
        new.centroid = cents[part]
        new.keywords = keys
        new.size = round(sizes[part] * scale)
        new.examples = [e for s in mine for e in s.examples][: model.n_examples] or list(topic.examples)
        new.prototypes = protos[lab == part]
        new.prototype_sizes = [int(w) for w in weights[lab == part]]
        if not mine:  # every reason keeps at least one sub-reason: assignment goes through them
            only = Topic(id=model.next_id_, name=label_from(keys), keywords=keys, size=new.size,
                         examples=list(topic.examples), centroid=cents[part], parent=new.id)  # fmt: skip
            model.next_id_ += 1
            model.sub_topics_[only.id] = only
            mine = [only]
        new.children = sorted(s.id for s in mine)
        for s in mine:
            s.parent = new.id
        if rank > 0 or not topic.renamed:
            new.name = label_from(keys)
            new.renamed = False
        ids.append(new.id)
    return ids


def save_and_reassign(store: Store, tier: str, version: int, model: ReasonModel) -> int:
    """Stores an edited reason model (rename, merge, split) and reassigns the interactions to its
    reasons; answers how many were reassigned (none while a seeded taxonomy assigns them)."""
    from signalroom.store import analysis_writes, reason_models, taxonomies

    reason_models.replace_model_state(store, version, model.to_json())
    if taxonomies.latest_taxonomy(store, tier) is not None:
        # A seeded taxonomy assigns the reasons: the edit changes the discovered reasons (and so
        # the candidates), not the interactions' reasons.
        return 0
    keys, texts, matrix = reason_models.purpose_embeddings(store, tier)
    if keys:
        assignments = dict(zip(keys, model.assign(texts, matrix), strict=True))
        analysis_writes.write_reasons(store, version, "discovered", assignments, run_id=analysis_writes.EDIT_RUN)
    return len(keys)
