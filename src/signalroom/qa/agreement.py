"""Agreement between raters (docs/qa.md#human-evaluations-and-calibration): percent agreement,
Cohen's kappa (scikit-learn), Krippendorff's alpha (the ``krippendorff`` package) and Gwet's AC1
(implemented here from Gwet's formula: no well-kept library has it). Answers are nominal: pass,
fail and na. A statistic that is not defined on the data (too few items, one answer only) is None
with the reason, never NaN."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

# item → rater → answer; an item a rater did not answer is simply absent.
Ratings = Mapping[Any, Mapping[str, str]]


@dataclass(frozen=True)
class Agreement:
    items: int  # items answered by at least two of the raters
    raters: int
    percent_agreement: float | None  # share of agreeing rater pairs, averaged over items
    cohen_kappa: float | None  # two raters; more: the mean over rater pairs (Light's kappa)
    krippendorff_alpha: float | None
    gwet_ac1: float | None
    undefined: dict[str, str] = field(default_factory=dict)  # statistic → why it is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pairable(ratings: Ratings) -> dict[Any, dict[str, str]]:
    return {item: dict(by) for item, by in ratings.items() if len(by) >= 2}


def percent_agreement(ratings: Ratings) -> float | None:
    """Per item, the share of rater pairs that agree; averaged over the items with two or more."""
    shares = []
    for by in _pairable(ratings).values():
        pairs = list(combinations(by.values(), 2))
        shares.append(sum(a == b for a, b in pairs) / len(pairs))
    return float(np.mean(shares)) if shares else None


def gwet_ac1(ratings: Ratings) -> tuple[float | None, str | None]:
    """Gwet's AC1 for any number of raters with missing answers (Gwet 2014, Handbook of Inter-Rater
    Reliability, ch. 2): pa = mean over items rated twice or more of Σ_k r_ik(r_ik−1) / r_i(r_i−1);
    π_k = mean over all rated items of r_ik / r_i; pe = Σ_k π_k(1−π_k) / (Q−1) with Q the answers
    observed; AC1 = (pa − pe) / (1 − pe)."""
    rated = [by for by in ratings.values() if by]
    categories = sorted({a for by in rated for a in by.values()})
    pairable = [by for by in rated if len(by) >= 2]
    if not pairable:
        return None, "no item answered by two raters"
    if len(categories) < 2:
        return None, f"only one answer given ({categories[0]}): chance agreement is undefined"
    pa = 0.0
    for by in pairable:
        r = len(by)
        counts = [sum(a == k for a in by.values()) for k in categories]
        pa += sum(c * (c - 1) for c in counts) / (r * (r - 1))
    pa /= len(pairable)
    pi = [float(np.mean([sum(a == k for a in by.values()) / len(by) for by in rated])) for k in categories]
    pe = sum(p * (1 - p) for p in pi) / (len(categories) - 1)
    return (pa - pe) / (1 - pe), None


def _alpha(ratings: Ratings, raters: list[str], categories: list[str]) -> tuple[float | None, str | None]:
    index = {c: float(i) for i, c in enumerate(categories)}
    data = np.full((len(raters), len(ratings)), np.nan)
    for col, by in enumerate(ratings.values()):
        for row, rater in enumerate(raters):
            if rater in by:
                data[row, col] = index[by[rater]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    return (None, "not defined on these answers") if np.isnan(value) else (value, None)


def _kappa(a: list[str], b: list[str]) -> tuple[float | None, str | None]:
    if len(a) < 2:
        return None, "fewer than 2 items"
    if len(set(a) | set(b)) < 2:
        return None, f"only one answer given ({a[0]}): chance agreement is 1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(cohen_kappa_score(a, b))
    return (None, "not defined on these answers") if np.isnan(value) else (value, None)


def agreement(ratings: Ratings) -> Agreement:
    """Every statistic over these ratings (items answered by one rater only count for none of them
    but Gwet's chance agreement, as in his formula)."""
    pairable = _pairable(ratings)
    raters = sorted({r for by in pairable.values() for r in by})
    undefined: dict[str, str] = {}
    if len(pairable) < 2:
        why = f"fewer than 2 items answered by two raters ({len(pairable)})"
        undefined = dict.fromkeys(("percent_agreement", "cohen_kappa", "krippendorff_alpha", "gwet_ac1"), why)
        if pairable:
            del undefined["percent_agreement"]
        return Agreement(len(pairable), len(raters), percent_agreement(ratings), None, None, None, undefined)
    categories = sorted({a for by in pairable.values() for a in by.values()})
    kappas: list[float] = []
    reasons: list[str] = []
    for x, y in combinations(raters, 2):
        both = [by for by in pairable.values() if x in by and y in by]
        value, why_not = _kappa([by[x] for by in both], [by[y] for by in both])
        if value is None:
            reasons.append(f"{x} and {y}: {why_not}")
        else:
            kappas.append(value)
    kappa = float(np.mean(kappas)) if kappas else None
    if kappa is None:
        undefined["cohen_kappa"] = "; ".join(reasons)
    alpha: float | None
    why_alpha: str | None
    if len(categories) < 2:
        alpha, why_alpha = None, f"only one answer given ({categories[0]}): no disagreement to expect"
    else:
        alpha, why_alpha = _alpha(pairable, raters, categories)
    if why_alpha:
        undefined["krippendorff_alpha"] = why_alpha
    ac1, why_ac1 = gwet_ac1(ratings)
    if why_ac1:
        undefined["gwet_ac1"] = why_ac1
    pa, k, al, ac = (None if v is None else round(v, 6) for v in (percent_agreement(pairable), kappa, alpha, ac1))
    return Agreement(len(pairable), len(raters), pa, k, al, ac, undefined)


def two_raters(pairs: list[tuple[str, str]], a: str = "a", b: str = "b") -> Agreement:
    """Agreement of two raters from their answers on the same items."""
    return agreement({i: {a: x, b: y} for i, (x, y) in enumerate(pairs)})
