"""The numeric core of reason discovery: reduce, build a Ward tree, cut it by coherence, refine.

A topic's *coherence* is the mean cosine similarity of its members to its (normalised) centroid,
which for unit vectors is simply the norm of the members' mean vector. The tree is cut top-down,
always splitting the most recent merge, until the size-weighted mean coherence reaches ``tau``: a
size-free rule ("a reason is a group whose members sit, on average, ``tau`` close to its centre"),
so the number of topics follows from the data instead of being asked for.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.cluster.hierarchy import linkage

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]


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


def ward_cut(x: F32, reduced: NDArray[np.floating], tau: float, floor_gap: float = 0.15) -> I64:
    """Labels 0..k-1 from a Ward tree over ``reduced``, cut where mean coherence of ``x`` reaches tau."""
    n = len(x)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    z = linkage(np.asarray(reduced, dtype=np.float64), method="ward")
    sums = np.zeros((2 * n - 1, x.shape[1]), dtype=np.float64)
    sums[:n] = x
    left = z[:, 0].astype(np.int64)
    right = z[:, 1].astype(np.int64)
    counts = np.ones(2 * n - 1)
    counts[n:] = z[:, 3]
    for i in range(n - 1):
        sums[n + i] = sums[left[i]] + sums[right[i]]
    strength = np.linalg.norm(sums, axis=1)  # = size x coherence
    active = {2 * n - 2}
    total = float(strength[2 * n - 2])
    for i in range(n - 2, -1, -1):
        if total / n >= tau:
            break
        node = n + i
        active.discard(node)
        active.update((int(left[i]), int(right[i])))
        total += float(strength[left[i]] + strength[right[i]] - strength[node])
    # No single topic may be far less coherent than the target: the mean alone can hide a merge
    # of two distinct reasons when there are few topics.
    floor = tau - floor_gap
    stack = sorted(active)
    active = set()
    while stack:
        node = stack.pop()
        if node >= n and strength[node] / counts[node] < floor:
            stack.extend((int(left[node - n]), int(right[node - n])))
        else:
            active.add(node)
    labels = np.full(n, -1, dtype=np.int64)
    for k, node in enumerate(sorted(active)):
        stack = [node]
        while stack:
            v = stack.pop()
            if v < n:
                labels[v] = k
            else:
                stack.extend((int(left[v - n]), int(right[v - n])))
    return labels


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
    x: F32, tau: float, dims: int, max_tree: int, rounds: int, min_size: int, seed: int
) -> tuple[I64, F32, I64, tuple[F32, F32]]:
    """The whole discovery step on normalised ``x``: a tree on at most ``max_tree`` sampled points,
    then refinement over all points (nearest-centroid assignment scales linearly)."""
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(x), size=max_tree, replace=False)) if len(x) > max_tree else np.arange(len(x))
    xs = x[sample]
    mean, comps = pca_basis(xs, dims)
    labels_s = ward_cut(xs, (xs - mean) @ comps.T, tau)
    k = int(labels_s.max()) + 1
    cents, _ = centroids_of(xs, labels_s, k)
    init = nearest(x, cents)[0] if len(sample) < len(x) else labels_s
    labels, cents, sizes = refine(x, init, k, rounds, min_size)
    return labels, cents, sizes, (mean, comps)
