"""Related contact reasons: the tree of the discovered reasons' centroids, and the groups it cuts into.

Discovered reasons are fine-grained on purpose (docs/reasons.md): one customer need often comes out
as several reasons, one per way of putting it. Drivers scan this tree for groups of related reasons
that share an outcome (docs/drivers.md); the next-issue model predicts *needs* — the groups of a cut
of the tree — because a repeat of one need lands on any of its reasons (docs/context.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage, to_tree

from signalroom.pipeline.reasons.topics import decode_array
from signalroom.store import drivers as driver_store
from signalroom.store.warehouse import Store

# Reasons whose centroids are at least this similar on average (cosine) are one need. Chosen on
# the demo month's held-out next contacts (docs/context.md): finer cuts leave a need split,
# coarser ones merge unrelated needs into one that every prediction names.
NEED_SIMILARITY = 0.5


@dataclass(frozen=True)
class ReasonTree:
    ids: list[int]  # the reasons, leaf i of the tree is ids[i]
    names: dict[int, str]
    sizes: dict[int, int]
    linkage: NDArray[np.float64]  # scipy's average-linkage matrix over cosine distance

    def nodes(self) -> list[list[int]]:
        """The leaf indices under every node, the single reasons included, the root (every reason) not."""
        out: list[list[int]] = []

        def walk(node: Any) -> list[int]:
            members = [int(node.id)] if node.is_leaf() else walk(node.left) + walk(node.right)
            out.append(members)
            return members

        walk(to_tree(self.linkage))
        return out[:-1]

    def groups(self, similarity: float = NEED_SIMILARITY) -> dict[int, int]:
        """Each reason → its group, named by the group's largest reason."""
        cut = fcluster(self.linkage, 1.0 - similarity, criterion="distance")
        members: dict[int, list[int]] = {}
        for reason, group in zip(self.ids, cut, strict=True):
            members.setdefault(int(group), []).append(reason)
        out: dict[int, int] = {}
        for reasons in members.values():
            largest = max(reasons, key=lambda r: (self.sizes.get(r, 0), -r))
            out.update({r: largest for r in reasons})
        return out

    def label(self, reasons: list[int]) -> str:
        """A group's name: its largest reason's, with how many related reasons it holds."""
        largest = max(reasons, key=lambda r: (self.sizes.get(r, 0), -r))
        name = self.names.get(largest, str(largest))
        extra = len(reasons) - 1
        return name if not extra else f"{name} (+{extra} related reason{'s' if extra > 1 else ''})"


def reason_tree(store: Store, reasons: list[int] | None = None) -> ReasonTree | None:
    """The tree of the discovered model most contacts were assigned with, over ``reasons`` (default:
    all of its reasons). None without a discovered model (a taxonomy), with fewer than 3 reasons, or
    when one of ``reasons`` is not the model's."""
    inputs = driver_store.reason_tree_inputs(store)
    if inputs is None:
        return None
    names, centroids, sizes = inputs
    ids = sorted(reasons if reasons is not None else centroids)
    if len(ids) < 3 or any(i not in centroids for i in ids):
        return None
    matrix = np.stack([decode_array(centroids[i]) for i in ids]).astype(np.float64)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return ReasonTree(ids, names, sizes, linkage(matrix, method="average", metric="cosine"))
