"""Newly forming clusters that the existing reasons do not explain (docs/signals.md#newly-forming-clusters).

Reasons are discovered over the whole period and not refitted each day, so a new phenomenon either
has no reason of its own or hides inside existing ones. This detector looks at the embeddings of
what customers say instead. On a judged day the *recent* window (the day and the ``recent_days``
− 1 before it) is compared with the *baseline* (the ``baseline_days`` before that). A recent
contact is *novel* when too many of its ``neighbours`` nearest contacts (other people's, from
either window) are recent: with nothing new, each neighbour is recent with the recent window's
share of the contacts, so the count is binomial — a k-nearest-neighbour two-sample test, which
adapts to how dense each region of the space is. The test is one-sided at ``alpha`` Bonferroni-
corrected over the recent contacts; because the share is the windows' own, a Monday peak or a quiet
weekend moves nothing. Novel contacts among each other's nearest and at least ``radius`` alike are
joined (variants of one complaint chain together); a group of at least ``min_size`` is a cluster,
tested again as a whole: recent against baseline contacts within its reach of its centre.

Clusters found on following days about the same thing (centres within ``radius``) are one finding.
Its members' reasons then say whether the reasons explain it: when one need holds at least
``need_share`` of them, they sit as close to their reasons' centroids as those reasons' baseline
contacts do, and contacts like them did not grow much faster than the need as a whole, it is just
more of that need (the volume detector's business: reported, marked ``explained``). Scattered over
needs, fitting their reasons worse than usual, or new inside their need, it is not explained.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from signalroom.pipeline.reasons.labels import keywords, label_from
from signalroom.pipeline.reasons.topics import decode_array
from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs, SignalsError
from signalroom.store import signal_clusters as cluster_store
from signalroom.store.signal_clusters import EmbeddedContacts
from signalroom.store.warehouse import Store

_EPOCH = date(1970, 1, 1)
_CHUNK = 2048  # recent contacts per similarity block: bounds memory at ~chunk × window floats


class ClusterConfigError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class ClusterConfig:
    recent_days: int = 3
    baseline_days: int = 14
    neighbours: int = 30  # nearest contacts whose windows are counted (the density estimate)
    radius: float = 0.6  # cosine: novel contacts at least this alike can be one cluster
    min_ratio: float = 3.0  # a cluster's recent contacts over what the baseline predicts
    alpha: float = 0.01  # per contact Bonferroni over the window, then per cluster over the day's clusters
    min_size: int = 8  # novel contacts in a cluster
    reach_quantile: float = 0.2  # a cluster's reach: this quantile of its members' similarity to its centre
    need_share: float = 0.6  # of members in one need for the need to name it
    fit_tolerance: float = 0.05  # how much worse than usual members may fit their reasons and still be explained
    evidence: int = 5

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ClusterConfigError(f"cluster detector: {message}")

        need(self.recent_days >= 1, f"recent_days must be at least 1, got {self.recent_days}")
        need(self.baseline_days >= 3, f"baseline_days must be at least 3, got {self.baseline_days}")
        need(0 < self.radius < 1, f"radius is a cosine similarity between 0 and 1 (exclusive), got {self.radius}")
        need(self.neighbours >= 3, f"neighbours must be at least 3, got {self.neighbours}")
        need(self.min_ratio >= 1, f"min_ratio must be at least 1, got {self.min_ratio}")
        need(0 < self.alpha < 1, f"alpha must be between 0 and 1, got {self.alpha}")
        need(self.min_size >= 2, f"min_size must be at least 2 contacts, got {self.min_size}")
        need(0 <= self.reach_quantile <= 1, f"reach_quantile must be between 0 and 1, got {self.reach_quantile}")
        need(0.5 <= self.need_share <= 1, f"need_share must be between 0.5 and 1, got {self.need_share}")
        need(self.fit_tolerance >= 0, f"fit_tolerance must not be negative, got {self.fit_tolerance}")
        need(self.evidence >= 1, f"evidence must be at least 1, got {self.evidence}")


@dataclass(frozen=True)
class DayCluster:
    """A cluster found on one judged day."""

    day: int  # days since 1970-01-01
    members: NDArray[np.int64]  # the novel contacts (indices into the contacts)
    centre: NDArray[np.float32]
    reach: float  # similarity to the centre that counts a contact as the cluster's
    recent: int  # contacts within reach in the recent window
    baseline: int  # … in the baseline window
    expected: float  # recent contacts within reach the baseline density predicts
    p_value: float


def _windows(
    contacts: EmbeddedContacts, day: int, config: ClusterConfig
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    recent_from = day - config.recent_days + 1
    base_from = recent_from - config.baseline_days
    ok = contacts.embedded
    recent = np.flatnonzero(ok & (contacts.days >= recent_from) & (contacts.days <= day))
    base = np.flatnonzero(ok & (contacts.days >= base_from) & (contacts.days < recent_from))
    return recent, base


def _recent_neighbours(
    x: NDArray[np.float32],
    persons: NDArray[np.int64],
    pool: NDArray[np.float32],
    pool_persons: NDArray[np.int64],
    k: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each row of ``x`` (the first ``len(x)`` rows of ``pool``): how many of its ``k`` nearest
    in ``pool`` are recent, and their indices. The contact itself and the same person's other
    contacts are left out: a customer repeating themself is not a crowd."""
    n = len(x)
    counts = np.zeros(n, dtype=np.int64)
    nearest = np.zeros((n, k), dtype=np.int64)
    for lo in range(0, n, _CHUNK):
        hi = min(lo + _CHUNK, n)
        sims = x[lo:hi] @ pool.T
        mine = persons[lo:hi, None]
        sims[(mine == pool_persons[None, :]) & (mine >= 0)] = -np.inf
        sims[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        nearest[lo:hi] = top
        counts[lo:hi] = (top < n).sum(axis=1)
    return counts, nearest


def judge_day(contacts: EmbeddedContacts, day: int, config: ClusterConfig) -> list[DayCluster]:
    """The clusters newly forming on ``day`` (days since 1970-01-01), seeing only contacts up to it."""
    recent, base = _windows(contacts, day, config)
    n_recent, n_base = len(recent), len(base)
    if n_recent < config.min_size or n_recent + n_base <= config.neighbours + 1:
        return []
    pool_rows = np.concatenate([recent, base])
    pool, persons = contacts.vectors[pool_rows], contacts.persons[pool_rows]
    x = pool[:n_recent]
    counts, nearest = _recent_neighbours(x, persons[:n_recent], pool, persons, config.neighbours)
    share = (n_recent - 1) / (n_recent + n_base - 1)
    p_values = stats.binom.sf(counts - 1, config.neighbours, share)
    novel = np.flatnonzero(p_values < config.alpha / n_recent)
    if len(novel) < config.min_size:
        return []
    # Novel contacts are one cluster when one is among the other's nearest and they are alike.
    position = np.full(len(pool_rows), -1)
    position[novel] = np.arange(len(novel))
    linked = position[nearest[novel]]
    a = np.repeat(np.arange(len(novel)), config.neighbours)
    b = linked.ravel()
    keep = b >= 0
    a, b = a[keep], b[keep]
    keep = np.einsum("ij,ij->i", x[novel[a]], x[novel[b]]) >= config.radius
    graph = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(len(novel), len(novel)))
    _, labels = connected_components(graph, directed=False)
    groups = [novel[labels == g] for g in np.unique(labels)]
    groups = [g for g in groups if len(g) >= config.min_size]
    found = []
    for group in groups:
        centre = x[group].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        reach = max(float(np.quantile(x[group] @ centre, config.reach_quantile)), config.radius)
        inside = int(((x @ centre) >= reach).sum())
        before = int(((pool[n_recent:] @ centre) >= reach).sum())
        expected = (before + 0.5) * n_recent / n_base
        p_value = float(stats.binom.sf(inside - 1, inside + before, n_recent / (n_recent + n_base)))
        if p_value < config.alpha / len(groups) and inside >= config.min_ratio * expected:
            found.append(
                DayCluster(
                    day, recent[group], centre.astype(np.float32), reach, inside, before, round(expected, 2), p_value
                )
            )
    return found


@dataclass
class _Track:
    detections: list[DayCluster]

    @property
    def centre(self) -> NDArray[np.float32]:
        return self.detections[-1].centre

    @property
    def last(self) -> int:
        return self.detections[-1].day


def backtest(contacts: EmbeddedContacts, first: int, last: int, config: ClusterConfig) -> list[list[DayCluster]]:
    """Replay the days ``first``..``last``: each day's clusters, joined to a cluster found within the
    last ``recent_days`` whose centre is within ``radius``, else the start of a new one."""
    tracks: list[_Track] = []
    for day in range(first, last + 1):
        for found in judge_day(contacts, day, config):
            live = [t for t in tracks if t.last >= day - config.recent_days]
            best = max(live, key=lambda t: float(t.centre @ found.centre), default=None)
            if best is not None and float(best.centre @ found.centre) >= config.radius:
                best.detections.append(found)
            else:
                tracks.append(_Track([found]))
    return [t.detections for t in tracks]


def _usual_fit(
    contacts: EmbeddedContacts, rows: NDArray[np.int64], centroids: dict[int, NDArray[np.float32]]
) -> dict[int, float]:
    """Each reason's usual fit: the median similarity of its contacts among ``rows`` to its centroid."""
    out = {}
    reasons = contacts.reasons[rows]
    for reason in np.unique(reasons):
        centroid = centroids.get(int(reason))
        mine = rows[reasons == reason]
        if centroid is not None and len(mine) >= 3:
            out[int(reason)] = float(np.median(contacts.vectors[mine] @ centroid))
    return out


def _rise(inside: int, total: int, inside_before: int, total_before: int) -> tuple[float, float]:
    """How much more often recent contacts fall inside than baseline ones (smoothed), and the
    one-sided binomial p-value of the recent count given both windows' sizes."""
    if total == 0 or total_before == 0:
        return 0.0, 1.0
    ratio = (inside / total) / ((inside_before + 0.5) / total_before)
    p_value = float(stats.binom.sf(inside - 1, inside + inside_before, total / (total + total_before)))
    return ratio, p_value


def explain(
    contacts: EmbeddedContacts,
    members: NDArray[np.int64],
    windows: tuple[NDArray[np.int64], NDArray[np.int64]],
    inside: NDArray[np.bool_],
    centroids: dict[int, NDArray[np.float32]],
    needs: Needs,
    config: ClusterConfig,
) -> dict[str, Any]:
    """How the existing reasons account for a cluster: its members' needs; how well they fit their
    reasons' centroids against those reasons' baseline contacts; and whether, within the need that
    holds most of them, contacts like them (``inside``: within the cluster's reach) grew much faster
    than the need as a whole — a new thing hiding inside an existing need. ``windows`` are the
    recent and baseline contacts of the day the cluster was first found."""
    recent, base = windows
    need_of = [needs.need(int(r)) if r >= 0 else None for r in contacts.reasons[members]]
    tally = Counter(need_of)
    top, top_n = max(
        ((n, c) for n, c in tally.items() if n is not None), key=lambda t: (t[1], -t[0]), default=(None, 0)
    )
    top_share = top_n / len(members)
    usual = _usual_fit(contacts, base, centroids)
    gaps, fits = [], []
    for row, reason in zip(members, contacts.reasons[members], strict=True):
        if int(reason) in usual:
            fit = float(contacts.vectors[row] @ centroids[int(reason)])
            fits.append(fit)
            gaps.append(fit - usual[int(reason)])
    fit_gap = float(np.mean(gaps)) if gaps else None
    within: dict[str, Any] | None = None
    new_within = False
    if top is not None:
        in_need = np.isin(contacts.reasons, needs.reasons(top))
        r_need, b_need = recent[in_need[recent]], base[in_need[base]]
        ratio, p_value = _rise(int(inside[r_need].sum()), len(r_need), int(inside[b_need].sum()), len(b_need))
        new_within = p_value < config.alpha and ratio >= config.min_ratio
        within = {
            "recent": int(inside[r_need].sum()),
            "recent_need": len(r_need),
            "baseline": int(inside[b_need].sum()),
            "baseline_need": len(b_need),
            "ratio": round(ratio, 2),
            "p_value": p_value,
            "new": new_within,
        }
    fits_as_usual = fit_gap is None or fit_gap >= -config.fit_tolerance
    explained = top is not None and top_share >= config.need_share and fits_as_usual and not new_within
    return {
        "need_shares": [
            {
                "need": n,
                "label": needs.label(n) if n is not None else "(no reason)",
                "share": round(c / len(members), 3),
            }
            for n, c in tally.most_common()
        ],
        "top_need": top if top_share >= config.need_share else None,
        "top_need_share": round(top_share, 3),
        "member_fit": None if not fits else round(float(np.mean(fits)), 3),
        "fit_gap": None if fit_gap is None else round(fit_gap, 3),
        "fitted_members": len(gaps),
        "within_need": within,
        "explained": explained,
        "explained_by_need": top if explained else None,
    }


def _date(day: int) -> date:
    return _EPOCH + timedelta(days=int(day))


def _finding(
    contacts: EmbeddedContacts,
    detections: list[DayCluster],
    end: int,
    centroids: dict[int, NDArray[np.float32]],
    needs: Needs,
    config: ClusterConfig,
) -> Finding:
    strongest = min(detections, key=lambda d: d.p_value)
    first, last = detections[0].day, detections[-1].day
    members = np.unique(np.concatenate([d.members for d in detections]))
    centre, reach = strongest.centre, strongest.reach
    # Expected counts come from before the cluster formed: the first detection's baseline.
    _, history = _windows(contacts, first, config)
    within = contacts.embedded & ((contacts.vectors @ centre) >= reach)
    base_share = (int(within[history].sum()) + 0.5) / max(len(history), 1)
    series, extra = [], 0.0
    covered_from = first - config.recent_days + 1
    for day in range(max(int(contacts.days.min()), first - config.baseline_days), end + 1):
        today = contacts.embedded & (contacts.days == day)
        observed, expected = int((within & today).sum()), base_share * int(today.sum())
        series.append(
            {
                "day": _date(day).isoformat(),
                "contacts": observed,
                "expected": round(expected, 2),
                "all": int((contacts.days == day).sum()),
            }
        )
        if covered_from <= day <= last:
            extra += observed - expected
    order = members[np.argsort(-(contacts.vectors[members] @ centre), kind="stable")]
    texts = [contacts.texts[i] for i in members] + [contacts.texts[i] for i in history]
    labels = np.array([0] * len(members) + [1] * len(history), dtype=np.int64)
    words = keywords(texts, labels, 2)[0]
    how = explain(contacts, members, _windows(contacts, first, config), within, centroids, needs, config)
    recent, base = _windows(contacts, strongest.day, config)
    window_days = (contacts.days >= strongest.day - config.recent_days - config.baseline_days + 1) & (
        contacts.days <= strongest.day
    )
    reasons = Counter(int(r) for r in contacts.reasons[members] if r >= 0)
    persons = {int(p) for p in contacts.persons[members] if p >= 0}
    return Finding(
        detector="new_cluster",
        subject=label_from(words),
        need=how["top_need"],
        reasons=tuple(r for r, _ in reasons.most_common()),
        first_detected=_date(first),
        last_detected=_date(last),
        days_detected=len({d.day for d in detections}),
        p_value=strongest.p_value,
        measure={
            "day": _date(strongest.day).isoformat(),
            "recent": strongest.recent,
            "baseline": strongest.baseline,
            "expected": strongest.expected,
            "ratio": round(strongest.recent / max(strongest.expected, 1e-9), 2),
            "recent_contacts": len(recent),
            "baseline_contacts": len(base),
            "members": len(members),
            "reach": round(reach, 3),
            "radius": config.radius,
            "keywords": [w for w, _ in words],
            "contacts_not_embedded": int((window_days & ~contacts.embedded).sum()),
            "tier": contacts.tier,
            **how,
        },
        series=series,
        evidence=[contacts.keys[i] for i in order[: config.evidence]],
        customers=len(persons) + int((contacts.persons[members] < 0).sum()),
        support=len(members),
        extra_contacts=round(max(extra, 0.0), 1),
    )


def detect_new_clusters(
    store: Store, needs: Needs, *, start: date, end: date, config: ClusterConfig | None = None
) -> list[Finding]:
    """Every cluster newly forming on a day from ``start`` to ``end``, each day judged only on the
    contacts up to it, by first-detected day."""
    config = config or ClusterConfig()
    if start > end:
        raise SignalsError(f"the cluster detector's period starts {start} after it ends {end}")
    tier = cluster_store.embedding_tier(store)
    if tier is None:
        raise SignalsError("no contact reasons or embeddings: run `signalroom analyze` first")
    loaded_from = start - timedelta(days=config.recent_days + config.baseline_days)
    contacts = cluster_store.embedded_contacts(store, tier, loaded_from, end)
    if len(contacts.keys) and not contacts.embedded.any():
        raise SignalsError(
            f"none of the {len(contacts.keys)} inbound contacts from {loaded_from} to {end} has a {tier!r} "
            "embedding of its purpose text: run `signalroom analyze`"
        )
    if not len(contacts.keys):
        return []
    centroids = {}
    for reason, encoded in cluster_store.reason_centroids(store, tier).items():
        vector = decode_array(encoded).astype(np.float32).ravel()
        if vector.shape == contacts.vectors.shape[1:]:
            centroids[reason] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    first, last = (start - _EPOCH).days, (end - _EPOCH).days
    found = [_finding(contacts, d, last, centroids, needs, config) for d in backtest(contacts, first, last, config)]
    return sorted(found, key=lambda f: (f.first_detected, f.p_value))
