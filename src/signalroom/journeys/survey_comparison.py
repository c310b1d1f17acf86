"""The comparison of survey respondents with all interactions (docs/surveys.md#comparison):
shares of a mix, rates and means, each with a test of the respondents against the other
interactions (the respondents are part of "all", so testing them against "all" would test them
partly against themselves).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats


def rounded(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


@dataclass(frozen=True)
class Share:
    """One category of a mix: its share among respondents and among all interactions."""

    key: Any
    label: str
    surveyed: float
    all: float
    p_value: float | None  # respondents against the other interactions, two-proportion z
    representation: str  # over | under | similar | untested

    @property
    def difference_pp(self) -> float:
        return 100 * (self.surveyed - self.all)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "surveyed": rounded(self.surveyed),
            "all": rounded(self.all),
            "difference_pp": rounded(self.difference_pp, 2),
            "p_value": rounded(self.p_value, 6),
            "representation": self.representation,
        }


@dataclass(frozen=True)
class Mix:
    name: str  # reason | channel | sentiment
    surveyed_n: int
    all_n: int
    shares: tuple[Share, ...]
    p_value: float | None  # chi-square, respondents against the other interactions

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "surveyed_n": self.surveyed_n,
            "all_n": self.all_n,
            "test": "chi-square of independence, respondents vs the other interactions",
            "p_value": rounded(self.p_value, 6),
            "shares": [s.to_dict() for s in self.shares],
        }


@dataclass(frozen=True)
class Measure:
    """A rate (difference in percentage points) or a mean (difference in its own units)."""

    name: str
    unit: str  # share | score
    surveyed: float | None
    all: float | None
    surveyed_n: int
    all_n: int
    test: str
    p_value: float | None
    representation: str

    def to_dict(self) -> dict[str, Any]:
        diff = None if self.surveyed is None or self.all is None else self.surveyed - self.all
        return {
            "name": self.name,
            "unit": self.unit,
            "surveyed": rounded(self.surveyed),
            "all": rounded(self.all),
            "difference": rounded(None if diff is None else 100 * diff if self.unit == "share" else diff, 4),
            "difference_unit": "pp" if self.unit == "share" else "score",
            "surveyed_n": self.surveyed_n,
            "all_n": self.all_n,
            "test": self.test,
            "p_value": rounded(self.p_value, 6),
            "representation": self.representation,
        }


def _two_proportions(k1: float, n1: float, k2: float, n2: float) -> float | None:
    """Two-sided p of the pooled two-proportion z test; None when there is nothing to test."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return None
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z)))


def _chi_square(surveyed: Sequence[int], others: Sequence[int]) -> float | None:
    kept = [(a, b) for a, b in zip(surveyed, others, strict=True) if a + b > 0]
    if len(kept) < 2 or sum(a for a, _ in kept) == 0 or sum(b for _, b in kept) == 0:
        return None
    return float(stats.chi2_contingency(np.array(kept).T, correction=False).pvalue)


def _representation(difference: float | None, p_value: float | None, alpha: float) -> str:
    if p_value is None or difference is None:
        return "untested"
    if p_value >= alpha:
        return "similar"
    return "over" if difference > 0 else "under"


def compare_mix(
    name: str,
    keys: Sequence[Hashable],
    surveyed: npt.NDArray[np.bool_],
    order: Sequence[Hashable],
    labels: dict[Hashable, str],
    alpha: float,
) -> Mix:
    n_s, n_all = int(surveyed.sum()), len(keys)
    counts_s = [sum(1 for k, s in zip(keys, surveyed, strict=True) if s and k == c) for c in order]
    counts_all = [sum(1 for k in keys if k == c) for c in order]
    shares = []
    for c, ks, ka in zip(order, counts_s, counts_all, strict=True):
        p = _two_proportions(ks, n_s, ka - ks, n_all - n_s)
        s, a = ks / n_s if n_s else 0.0, ka / n_all if n_all else 0.0
        shares.append(Share(c, labels.get(c, str(c)), s, a, p, _representation(s - a, p, alpha)))
    others = [a - s for s, a in zip(counts_s, counts_all, strict=True)]
    return Mix(name, n_s, n_all, tuple(shares), _chi_square(counts_s, others))


def compare_rate(name: str, hit: npt.NDArray[np.float64], surveyed: npt.NDArray[np.bool_], alpha: float) -> Measure:
    known = ~np.isnan(hit)
    s, o = hit[known & surveyed], hit[known & ~surveyed]
    a = hit[known]
    p = _two_proportions(float(s.sum()), len(s), float(o.sum()), len(o))
    rs, ra = (float(s.mean()) if len(s) else None), (float(a.mean()) if len(a) else None)
    diff = None if rs is None or ra is None else rs - ra
    return Measure(name, "share", rs, ra, len(s), len(a), "two-proportion z", p, _representation(diff, p, alpha))


def compare_mean(name: str, x: npt.NDArray[np.float64], surveyed: npt.NDArray[np.bool_], alpha: float) -> Measure:
    known = ~np.isnan(x)
    s, o, a = x[known & surveyed], x[known & ~surveyed], x[known]
    p = None
    if len(s) >= 2 and len(o) >= 2 and (s.std() > 0 or o.std() > 0):
        p = float(stats.ttest_ind(s, o, equal_var=False).pvalue)
    ms, ma = (float(s.mean()) if len(s) else None), (float(a.mean()) if len(a) else None)
    diff = None if ms is None or ma is None else ms - ma
    return Measure(name, "score", ms, ma, len(s), len(a), "Welch t", p, _representation(diff, p, alpha))
