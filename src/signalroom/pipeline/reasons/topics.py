"""Topic records, assignments and helpers shared by the reason model (no clustering here)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from signalroom.pipeline.reasons.cluster import F32, group_sums, nearest, normalise


@dataclass
class Topic:
    """A discovered reason (``parent is None``) or sub-reason (``parent`` = its reason's id)."""

    id: int
    name: str
    keywords: list[tuple[str, float]]
    size: int
    examples: list[str]
    centroid: F32
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    renamed: bool = False  # named by a user: the name survives refits
    # Micro-centroids of the members and how many each stands for (reasons only): what split() divides.
    prototypes: F32 = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    prototype_sizes: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "keywords": [[t, s] for t, s in self.keywords],
            "size": self.size,
            "examples": self.examples,
            "centroid": encode_array(self.centroid),
            "parent": self.parent,
            "children": self.children,
            "renamed": self.renamed,
            "prototypes": encode_array(self.prototypes),
            "prototype_sizes": self.prototype_sizes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Topic:
        return cls(
            id=int(d["id"]),
            name=str(d["name"]),
            keywords=[(str(t), float(s)) for t, s in d["keywords"]],
            size=int(d["size"]),
            examples=[str(e) for e in d["examples"]],
            centroid=decode_array(d["centroid"]),
            parent=None if d["parent"] is None else int(d["parent"]),
            children=[int(c) for c in d["children"]],
            renamed=bool(d["renamed"]),
            prototypes=decode_array(d["prototypes"]),
            prototype_sizes=[int(s) for s in d["prototype_sizes"]],
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where one text falls: ``topic_id``/``sub_topic_id`` are -1 when it is ``unexplained``
    (no reason is close enough); ``confidence`` is in [0, 1]; ``similarity`` is the cosine to
    the nearest reason's centroid."""

    topic_id: int
    sub_topic_id: int
    confidence: float
    unexplained: bool
    similarity: float


def encode_array(a: NDArray[np.floating]) -> dict[str, Any]:
    arr = np.ascontiguousarray(a, dtype=np.float32)
    return {"shape": list(arr.shape), "f32": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode_array(d: dict[str, Any]) -> F32:
    raw = np.frombuffer(base64.b64decode(d["f32"]), dtype=np.float32)
    return raw.reshape([int(s) for s in d["shape"]]).copy()


def match_ids(new: F32, old: F32, min_similarity: float) -> dict[int, int]:
    """Hungarian matching of new centroids to old ones: {new index: old index} for pairs at least
    ``min_similarity`` alike."""
    if len(new) == 0 or len(old) == 0:
        return {}
    sim = new @ old.T
    rows, cols = linear_sum_assignment(-sim)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if sim[r, c] >= min_similarity}


def micro_centroids(x: F32, m: int, seed: int, rounds: int = 4) -> tuple[F32, list[int]]:
    """``m`` spherical k-means centres of ``x`` (farthest-first start) and their sizes."""
    if len(x) <= m:
        return x.copy(), [1] * len(x)
    rng = np.random.default_rng(seed)
    picks = [int(rng.integers(len(x)))]
    best = x @ x[picks[0]]
    for _ in range(m - 1):
        picks.append(int(best.argmin()))
        best = np.maximum(best, x @ x[picks[-1]])
    cents = x[picks]
    for _ in range(rounds):
        lab, _ = nearest(x, cents)
        sums = group_sums(x, lab, len(cents))
        sizes = np.bincount(lab, minlength=len(cents))
        cents = normalise(np.where(sizes[:, None] > 0, sums, cents))
    lab, _ = nearest(x, cents)
    sizes = np.bincount(lab, minlength=len(cents))
    keep = sizes > 0
    return cents[keep], [int(s) for s in sizes[keep]]


def merge_keywords(parts: list[tuple[list[tuple[str, float]], int]], top: int = 10) -> list[tuple[str, float]]:
    """Size-weighted pooling of several topics' key phrases."""
    total = max(sum(n for _, n in parts), 1)
    pooled: dict[str, float] = {}
    for keys, n in parts:
        for term, score in keys:
            pooled[term] = pooled.get(term, 0.0) + score * n / total
    return sorted(pooled.items(), key=lambda kv: -kv[1])[:top]
