"""The statistics of outcome drivers (docs/drivers.md#statistics): pure functions over counts.

A candidate driver holds ``n`` of the ``N`` eligible units and ``y`` of their ``Y`` outcomes; the
rest of the units are its baseline. Intervals are score intervals (Wilson for a proportion,
Newcombe's hybrid score for a difference of two), which behave at small counts and extreme rates
where the normal approximation does not. Related reasons are scanned as a tree (Kulldorff's tree-
based scan statistic: the Bernoulli log-likelihood ratio of every node, with a Monte Carlo p-value
that accounts for scanning all of them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import stats

Z95 = 1.959963984540054


def wilson(y: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the proportion y/n ((0, 1) when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = y / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(y1: float, n1: float, y2: float, n2: float, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p1 − p2 (his method 10)."""
    p1, p2 = y1 / n1, y2 / n2
    l1, u1 = wilson(y1, n1, z)
    l2, u2 = wilson(y2, n2, z)
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def two_proportion_p(y1: int, n1: int, y2: int, n2: int) -> float:
    """Two-sided p-value that the two rates differ: Fisher's exact test when an expected count is
    under 5, else the pooled z-test."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    total, hits = n1 + n2, y1 + y2
    expected = min(n1 * hits, n2 * hits, n1 * (total - hits), n2 * (total - hits)) / total
    if expected < 5:
        return float(stats.fisher_exact([[y1, n1 - y1], [y2, n2 - y2]]).pvalue)
    pooled = hits / total
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    return float(2 * stats.norm.sf(abs((y1 / n1 - y2 / n2) / se)))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """False-discovery-rate adjusted p-values (q-values), in the input's order."""
    if not p_values:
        return []
    return [float(q) for q in stats.false_discovery_control(np.asarray(p_values, dtype=float), method="bh")]


def _xlogy(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = np.where(x > 0, x * np.log(np.where(y > 0, y, 1.0)), 0.0)
    return out


def bernoulli_llr(y: NDArray[np.float64], n: NDArray[np.float64], hits: float, units: float) -> NDArray[np.float64]:
    """Log-likelihood ratio of "inside has its own rate" against "one rate for all", for groups of
    ``n`` units with ``y`` outcomes out of ``units`` with ``hits``; 0 where the rate inside is not
    higher (the scan looks for excess only)."""
    out_y, out_n = hits - y, units - n
    with np.errstate(divide="ignore", invalid="ignore"):
        p_in = np.where(n > 0, y / np.maximum(n, 1), 0.0)
        p_out = np.where(out_n > 0, out_y / np.maximum(out_n, 1), 0.0)
        p0 = hits / units
        ll = (
            _xlogy(y, p_in)
            + _xlogy(n - y, 1 - p_in)
            + _xlogy(out_y, p_out)
            + _xlogy(out_n - out_y, 1 - p_out)
            - (hits * math.log(p0) if hits > 0 else 0.0)
            - ((units - hits) * math.log(1 - p0) if units > hits else 0.0)
        )
    llr: NDArray[np.float64] = np.where((p_in > p_out) & (n > 0) & (out_n > 0), ll, 0.0)
    return llr


def tree_scan(
    leaf_n: NDArray[np.float64],
    leaf_y: NDArray[np.float64],
    nodes: NDArray[np.float64],
    units: int,
    hits: int,
    *,
    permutations: int = 999,
    seed: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The LLR of every node (``nodes``: nodes × leaves, 1 where a leaf is under the node) and its
    Monte Carlo p-value: the share of ``permutations`` outcome shufflings (the outcomes spread over
    all eligible units at random, units outside the tree included) whose best node scores at least
    as high. That p-value is adjusted for scanning every node of the tree."""
    node_n, node_y = nodes @ leaf_n, nodes @ leaf_y
    observed = bernoulli_llr(node_y, node_n, hits, units)
    rng = np.random.default_rng(seed)
    outside = max(0, units - int(leaf_n.sum()))
    colours = np.append(leaf_n.astype(np.int64), outside)
    draws = rng.multivariate_hypergeometric(colours, hits, size=permutations)[:, :-1].astype(float)
    best = bernoulli_llr(draws @ nodes.T, np.broadcast_to(node_n, (permutations, len(node_n))), hits, units)
    best = best.max(axis=1) if best.size else np.zeros(permutations)
    p = (1 + (best[None, :] >= observed[:, None] - 1e-9).sum(axis=1)) / (permutations + 1)
    return observed, p
