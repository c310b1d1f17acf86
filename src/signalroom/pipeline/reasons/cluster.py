"""The numeric core of reason discovery: reduce, smooth, build a Ward tree, cut it, refine.

A topic's *coherence* is the mean cosine similarity of its members to its (normalised) centroid,
which for unit vectors is simply the norm of the members' mean vector. The tree is built on
*neighbourhood-smoothed* vectors (each text averaged with its nearest neighbours, so that short,
noisy texts are placed by the company they keep) and cut top-down, always splitting the most recent
merge, until the size-weighted mean coherence reaches a level ``tau``: a size-free rule, so the
number of topics follows from the data instead of being asked for. ``tau`` is either given or
chosen per data set: the level, on a grid, at which the topics are best separated (the simplified
silhouette of the cut, averaged over neighbouring levels).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.cluster.hierarchy import linkage

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]

# The grid of cut levels searched when the level is chosen from the data, and the number of grid
# points whose silhouettes are averaged (the curve is noisy; a plateau beats a spike).
LEVEL_STEP = 0.01
LEVEL_WINDOW = 7
LEVEL_TOLERANCE = 0.0


def normalise(x: NDArray[np.floating]) -> F32:
    a = np.asarray(x, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"embeddings must be a 2-d array, got shape {a.shape}")
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return np.asarray(a / np.maximum(norms, 1e-12), dtype=np.float32)


def pca_basis(x: F32, dims: int) -> tuple[F32, F32]:
    """Mean and top-``dims`` principal axes (rows), by an eigendecomposition of the covariance."""
    mean = x.mean(axis=0)
    if dims >= x.shape[1]:
        return mean.astype(np.float32), np.eye(x.shape[1], dtype=np.float32)
    xc = (x - mean).astype(np.float64)
    cov = xc.T @ xc / max(len(x) - 1, 1)
    _, vecs = np.linalg.eigh(cov)
    comps = vecs[:, ::-1][:, :dims].T
    return mean.astype(np.float32), comps.astype(np.float32)


def knn_smooth(x: F32, z: F32, k: int, block: int = 1024) -> F32:
    """Each row of ``x`` replaced by the normalised mean of itself and its ``k`` nearest neighbours,
    found by cosine similarity in ``z`` (the reduced space: cheaper, and it ranks neighbours alike)."""
    n = len(x)
    k = min(k, n - 1)
    if k <= 0:
        return x
    out = np.empty_like(x)
    for s in range(0, n, block):
        sim = z[s : s + block] @ z.T
        nb = np.argpartition(-sim, k, axis=1)[:, : k + 1]
        out[s : s + block] = x[nb].mean(axis=1)
    return normalise(out)


class WardTree:
    """A Ward tree over ``reduced`` whose nodes know the coherence of ``x`` (same rows); cut it at
    any level with :meth:`cut`."""

    def __init__(self, x: F32, reduced: NDArray[np.floating]) -> None:
        n = self.n = len(x)
        if n == 1:
            self.left = self.right = np.zeros(0, dtype=np.int64)
            self.strength = np.ones(1)
            self.counts = np.ones(1)
            self.totals = np.ones(1)
            return
        z = linkage(np.asarray(reduced, dtype=np.float64), method="ward")
        left = self.left = z[:, 0].astype(np.int64)
        right = self.right = z[:, 1].astype(np.int64)
        sums = np.zeros((2 * n - 1, x.shape[1]), dtype=np.float64)
        sums[:n] = x
        for i in range(n - 1):
            sums[n + i] = sums[left[i]] + sums[right[i]]
        self.counts = np.ones(2 * n - 1)
        self.counts[n:] = z[:, 3]
        strength = self.strength = np.linalg.norm(sums, axis=1)  # = size x coherence
        # Total strength after splitting the j most recent merges, j = 0..n-1.
        gain = strength[left] + strength[right] - strength[n:]
        self.totals = strength[-1] + np.concatenate([[0.0], np.cumsum(gain[::-1])])
        parent = np.arange(2 * n - 1)
        parent[left] = np.arange(n, 2 * n - 1)
        parent[right] = np.arange(n, 2 * n - 1)
        self.parent = parent

    def cut(self, tau: float, floor_gap: float = 0.15) -> I64:
        """Labels 0..k-1: split the most recent merges until the size-weighted mean coherence
        reaches ``tau``, then split any topic still below ``tau - floor_gap`` (the mean alone can
        hide a merge of two distinct reasons when there are few topics)."""
        n = self.n
        if n == 1:
            return np.zeros(1, dtype=np.int64)
        reached = np.flatnonzero(self.totals / n >= tau)
        splits = int(reached[0]) if len(reached) else n - 1
        first_split = n - 1 - splits  # merges with index >= this are split
        nodes = np.arange(2 * n - 1)
        is_split = (nodes >= n) & (nodes - n >= first_split)
        root = 2 * n - 2
        active = ~is_split & (is_split[self.parent] | (nodes == root))
        floor = tau - floor_gap
        stack = [int(v) for v in np.flatnonzero(active & (nodes >= n) & (self.strength < floor * self.counts))]
        while stack:
            v = stack.pop()
            active[v] = False
            for c in (int(self.left[v - n]), int(self.right[v - n])):
                if c >= n and self.strength[c] < floor * self.counts[c]:
                    stack.append(c)
                else:
                    active[c] = True
        # Each leaf takes the label of its nearest active ancestor (pointer jumping).
        target = np.where(active, nodes, self.parent)
        while True:
            nxt = target[target]
            if np.array_equal(nxt, target):
                break
            target = nxt
        ids = np.full(2 * n - 1, -1, dtype=np.int64)
        ids[active] = np.arange(int(active.sum()))
        return ids[target[:n]]


def silhouette(x: F32, labels: I64, idx: I64) -> float:
    """Simplified (centroid) silhouette of the rows ``idx``: a text's cosine distance to its own
    topic's centre without itself against the distance to the nearest other centre; 0 for
    singletons. High when topics are compact *and* apart: the criterion that picks the cut level."""
    k = int(labels.max()) + 1
    if k < 2:
        return 0.0
    sums = group_sums(x, labels, k)
    cents = normalise(sums)
    xe, le = x[idx], labels[idx]
    own = sums[le] - xe
    norms = np.linalg.norm(own, axis=1)
    a = 1.0 - np.einsum("ij,ij->i", xe, own) / np.maximum(norms, 1e-12)
    sim = xe @ cents.T
    sim[np.arange(len(idx)), le] = -np.inf
    b = 1.0 - sim.max(axis=1)
    s = np.where(norms > 1e-6, (b - a) / np.maximum(np.maximum(a, b), 1e-9), 0.0)
    return float(s.mean())


def choose_level(
    tree: WardTree, x: F32, lo: float, hi: float, max_points: int, rng: np.random.Generator
) -> tuple[float, I64]:
    """The cut level in [lo, hi] (grid step LEVEL_STEP) with the best silhouette averaged over
    LEVEL_WINDOW neighbouring levels (the grid extends past both ends for the average), and its
    labels. ``x`` are the texts' own vectors."""
    half = LEVEL_WINDOW // 2
    levels = np.round(np.arange(lo - half * LEVEL_STEP, hi + (half + 0.5) * LEVEL_STEP, LEVEL_STEP), 4)
    levels = levels[levels < 1.0]
    if hi <= lo or len(levels) < LEVEL_WINDOW:
        return float(lo), tree.cut(float(lo))
    idx = np.arange(len(x)) if len(x) <= max_points else np.sort(rng.choice(len(x), max_points, replace=False))
    cuts: dict[float, I64] = {}
    scores = []
    for t in levels:
        cuts[float(t)] = lab = tree.cut(float(t))
        scores.append(silhouette(x, lab, idx))
    smooth = np.convolve(np.asarray(scores), np.ones(LEVEL_WINDOW) / LEVEL_WINDOW, mode="valid")
    centre = levels[half : len(levels) - half]
    smooth[(centre < lo - 1e-9) | (centre > hi + 1e-9)] = -np.inf
    best = float(centre[int(np.flatnonzero(smooth >= smooth.max() - LEVEL_TOLERANCE)[0])])
    return best, cuts[best]


def centroids_of(x: F32, labels: I64, k: int) -> tuple[F32, I64]:
    """Normalised centroids and sizes of labels 0..k-1 (labels < 0 ignored)."""
    sums = group_sums(x, labels, k)
    sizes = np.bincount(labels[labels >= 0], minlength=k).astype(np.int64)
    return normalise(sums), sizes


def group_sums(x: NDArray[np.floating], labels: I64, k: int, weights: NDArray[np.floating] | None = None) -> F32:
    """Row sums of ``x`` per label 0..k-1 (a sparse one-hot product: np.add.at is slow)."""
    keep = np.flatnonzero(labels >= 0)
    w = np.ones(len(keep), dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)[keep]
    onehot = sparse.csr_matrix((w, (labels[keep], keep)), shape=(k, len(x)))
    return np.asarray(onehot @ np.asarray(x, dtype=np.float32), dtype=np.float32)


def nearest(x: F32, cents: F32, batch: int = 65536) -> tuple[I64, F32]:
    """Index of and cosine similarity to the nearest centroid, in batches."""
    idx = np.empty(len(x), dtype=np.int64)
    sim = np.empty(len(x), dtype=np.float32)
    for s in range(0, len(x), batch):
        m = x[s : s + batch] @ cents.T
        idx[s : s + batch] = m.argmax(axis=1)
        sim[s : s + batch] = m[np.arange(len(m)), idx[s : s + batch]]
    return idx, sim


def refine(x: F32, labels: I64, k: int, rounds: int, min_size: int) -> tuple[I64, F32, I64]:
    """A few spherical k-means rounds from the cut; topics under ``min_size`` are dissolved
    into their nearest neighbours. Returns labels 0..k'-1, centroids and sizes."""
    cents, sizes = centroids_of(x, labels, k)
    for r in range(rounds + 1):
        keep = sizes >= min_size if r == 0 else sizes > 0
        if not keep.any():
            keep = sizes == sizes.max()
        cents = cents[keep]
        labels, _ = nearest(x, cents)
        cents, sizes = centroids_of(x, labels, len(cents))
    keep = sizes > 0
    remap = np.cumsum(keep) - 1
    return remap[labels].astype(np.int64), cents[keep], sizes[keep]


def cluster(
    x: F32,
    tau: float | None,
    tau_range: tuple[float, float],
    dims: int,
    max_tree: int,
    rounds: int,
    min_size: int,
    seed: int,
    neighbours: int = 6,
    max_silhouette: int = 3000,
) -> tuple[I64, F32, I64, tuple[F32, F32], float]:
    """The whole discovery step on normalised ``x``: a tree on at most ``max_tree`` sampled points
    (smoothed over ``neighbours`` nearest neighbours), cut at ``tau`` or, when it is None, at the
    best-separated level in ``tau_range``; then refinement over all points on their own vectors
    (nearest-centroid assignment scales linearly). Returns labels, centroids, sizes, the PCA basis
    and the cut level used."""
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(x), size=max_tree, replace=False)) if len(x) > max_tree else np.arange(len(x))
    xs = x[sample]
    # The tree, the smoothing and the choice of level see each distinct vector once: repeated texts
    # ("Hi", "order status") would otherwise be each other's neighbours and make tight little topics.
    distinct, inverse = distinct_rows(xs)
    xd = xs[distinct]
    mean, comps = pca_basis(xd, dims)
    smoothed = knn_smooth(xd, normalise((xd - mean) @ comps.T), neighbours)
    tree = WardTree(smoothed, (smoothed - mean) @ comps.T)
    if tau is None:
        tau, labels_d = choose_level(tree, xd, tau_range[0], tau_range[1], max_silhouette, rng)
    else:
        labels_d = tree.cut(tau)
    labels_s = labels_d[inverse]
    k = int(labels_s.max()) + 1
    cents, _ = centroids_of(xs, labels_s, k)
    init = nearest(x, cents)[0] if len(sample) < len(x) else labels_s
    labels, cents, sizes = refine(x, init, k, rounds, min_size)
    return labels, cents, sizes, (mean, comps), float(tau)


def distinct_rows(x: F32) -> tuple[I64, I64]:
    """Indices of the first occurrence of each distinct row (in order) and, per row, the position
    of its row among them."""
    _, first, inverse = np.unique(x, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order].astype(np.int64), rank[np.asarray(inverse).reshape(-1)].astype(np.int64)
