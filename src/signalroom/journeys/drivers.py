"""Outcome drivers: what accounts for repeat contacts, unresolved contacts, negative endings, low
CSAT, churn, transfers, next issues — and which self-service events drive contacts.

Every candidate (a reason or a group of related reasons, a sub-reason, a prior self-service
failure, a channel path, a queue, a team, a handling flag, an attribute) is measured by the share
of the outcome it accounts for **beyond baseline**: (its outcomes − its units × the rate of all
other units) / all outcomes. Candidates are tested against their baseline with false-discovery-
rate control; related reasons are scanned as a tree; a driver whose excess disappears once a more
specific one is taken out is shown under that one instead of beside it. Method: docs/drivers.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from signalroom.interchange.models import CHANNELS
from signalroom.journeys import driver_stats as st
from signalroom.journeys.metrics import EVENT_CHANNELS, check_filters, check_reason
from signalroom.journeys.reason_groups import reason_tree
from signalroom.store import drivers as sql
from signalroom.store import episodes as episode_store
from signalroom.store.outcome_metrics import observed_until, reason_labels
from signalroom.store.warehouse import Store

DEFINITIONS = "docs/drivers.md"
OUTCOMES = tuple(sql.outcomes(sql.OutcomeParams()))
FAMILIES = (*dict.fromkeys(f.name for f in sql.families(sql.OutcomeParams())), "attribute")
# What the outcome's units and outcomes are called in text.
_NOUNS: dict[str, tuple[str, str]] = {
    "repeat_contact": ("repeat contacts", "repeat rate"),
    "unresolved": ("unresolved contacts", "unresolved rate"),
    "negative_end": ("negative endings", "negative-end rate"),
    "low_csat": ("low CSAT answers", "low-CSAT rate"),
    "churn": ("contacts followed by churn", "churn rate"),
    "transfer": ("transferred contacts", "transfer rate"),
    "next_issue": ("next-issue contacts", "next-issue rate"),
    "contact": ("event-driven contacts", "contact rate"),
}
FILTERS = ("channel", "reason", "queue", "team", "agent")
# A filter fixes the value of the candidate family that reads the same column: that family is
# constant over the population and is not a candidate (docs/drivers.md#filters).
FILTERED_FAMILIES = {"channel": "channel", "reason": "reason", "queue": "queue", "team": "team"}


class DriversError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class DriversConfig:
    """What to rank. Validated when made: a bad value is a :class:`DriversError`."""

    outcome: str
    window_days: int = 7
    churn_days: int = 30
    contact_hours: int = 24
    low_csat_max: int = 2
    min_units: int = 30
    alpha: float = 0.05
    top: int = 10
    examples: int = 3
    families: tuple[str, ...] = FAMILIES
    date_from: date | None = None
    date_to: date | None = None
    permutations: int = 999
    seed: int = 0
    # The common filters: the population is the units whose column of the same name has this value.
    channel: str | None = None
    reason: int | None = None
    queue: str | None = None
    team: str | None = None
    agent: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise DriversError(f"unknown outcome {self.outcome!r}: use one of {', '.join(OUTCOMES)}")
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown:
            raise DriversError(f"unknown famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                               f"known: {', '.join(FAMILIES)}")  # fmt: skip
        for name in ("window_days", "churn_days", "contact_hours", "min_units", "top", "permutations"):
            if getattr(self, name) < 1:
                raise DriversError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.examples < 0:
            raise DriversError(f"--examples must be 0 or more, got {self.examples}")
        if not 0 < self.alpha < 1:
            raise DriversError(f"--alpha must be between 0 and 1, got {self.alpha}")
        if not 1 <= self.low_csat_max <= 4:
            raise DriversError(f"--low-csat-max must be 1 to 4 on the 1–5 scale, got {self.low_csat_max}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise DriversError(f"--from {self.date_from} is after --to {self.date_to}")
        unit = sql.outcomes(sql.OutcomeParams())[self.outcome].unit
        for name, value in self.filters.items():
            if value is not None and name not in sql.FILTER_COLUMNS[unit]:
                raise DriversError(f"--{name} cannot filter the {self.outcome} outcome: its units are "
                                   f"self-service events, which have no {name}")  # fmt: skip
        check_filters(self.filters, DriversError, EVENT_CHANNELS if unit == "event" else CHANNELS)

    @property
    def filters(self) -> dict[str, str | int | None]:
        """Every filter, None where not set."""
        return {name: getattr(self, name) for name in FILTERS}

    @property
    def constant_families(self) -> tuple[str, ...]:
        """The candidate families a filter makes constant (one value over the whole population)."""
        return tuple(family for name, family in FILTERED_FAMILIES.items() if getattr(self, name) is not None)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["families"] = list(self.families)
        d["date_from"] = self.date_from.isoformat() if self.date_from else None
        d["date_to"] = self.date_to.isoformat() if self.date_to else None
        return d


@dataclass(frozen=True)
class Driver:
    family: str
    value: str  # what identifies it: a reason id, "topic ids a+b+…" for a group, a queue, …
    label: str
    units: int
    outcomes: int
    rate: float
    rate_ci: tuple[float, float]
    baseline: float
    lift: float | None
    share: float  # of all outcomes
    share_ci: tuple[float, float]
    share_beyond: float  # of all outcomes, beyond baseline
    share_beyond_ci: tuple[float, float]
    p_value: float
    q_value: float  # adjusted: Benjamini–Hochberg, or the tree scan's Monte Carlo p for reason groups
    members: tuple[str, ...] = ()  # the reasons of a reason group
    explains: tuple[str, ...] = ()  # drivers whose excess is this one's (shown under it)
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("rate_ci", "share_ci", "share_beyond_ci", "members", "explains", "examples"):
            d[key] = list(d[key])
        return d

    def text(self, outcome: str, unit: str) -> str:
        noun, rate_name = _NOUNS[outcome]
        lo, hi = self.share_beyond_ci
        return (
            f"{self.label}: {100 * self.share_beyond:.1f}% of {noun} beyond baseline (95% CI {100 * lo:.1f}–"
            f"{100 * hi:.1f}), {100 * self.share:.1f}% of all; {rate_name} {100 * self.rate:.0f}% vs "
            f"{100 * self.baseline:.0f}% baseline, {self.units:,} {unit}s"
        )


@dataclass(frozen=True)
class DriversReport:
    config: DriversConfig
    description: str
    unit: str
    units: int
    outcomes: int
    tested: int
    significant: int
    drivers: tuple[Driver, ...]
    flags: tuple[str, ...] = field(default=())

    @property
    def rate(self) -> float | None:
        return self.outcomes / self.units if self.units else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.config.outcome,
            "description": self.description,
            "unit": self.unit,
            "units": self.units,
            "outcomes": self.outcomes,
            "rate": None if self.rate is None else round(self.rate, 6),
            "tested": self.tested,
            "significant": self.significant,
            "drivers": [d.to_dict() for d in self.drivers],
            "text": [d.text(self.config.outcome, self.unit) for d in self.drivers],
            "config": self.config.to_dict(),
            "flags": list(self.flags),
            "definitions": DEFINITIONS,
        }


@dataclass
class _Candidate:
    family: str
    value: str
    label: str
    n: int
    y: int
    condition: str
    p: float = 1.0
    q: float = 1.0
    members: tuple[str, ...] = ()
    explains: list[str] = field(default_factory=list)


def find_drivers(store: Store, config: DriversConfig) -> DriversReport:
    """Rank the drivers of ``config.outcome`` over the last episode build, among the units that
    pass the config's filters."""
    check_reason(store, config.reason, DriversError)
    flags: list[str] = []
    build = episode_store.last_build(store)
    if build is None:
        raise DriversError("episodes were never built: run `signalroom episodes build` (or `signalroom analyze`)")
    if not episode_store.build_is_current(store, build):
        flags.append("episodes were built before the latest load or reason assignment: run `signalroom episodes build`")
    params = sql.OutcomeParams(
        window_days=config.window_days, churn_days=config.churn_days, contact_hours=config.contact_hours,
        low_csat_max=config.low_csat_max, observed_until=observed_until(store),
    )  # fmt: skip
    outcome = sql.outcomes(params)[config.outcome]
    constant = [f for f in config.constant_families if f in config.families]
    if constant:
        flags.append(f"not a candidate, filtered to one value: {', '.join(constant)}")
    fams = [f for f in sql.families(params) if f.name in config.families and f.name not in constant]
    dates: dict[str, Any] = {
        "date_from": config.date_from.isoformat() if config.date_from else None,
        "date_to": config.date_to.isoformat() if config.date_to else None,
        "filters": config.filters,
    }
    units, hits, counts = sql.count_candidates(store, outcome, fams, attributes="attribute" in config.families, **dates)
    if units == 0 or hits == 0 or hits == units:
        flags.append(f"nothing to rank: {units:,} eligible {outcome.unit}s, {hits:,} with the outcome")
        if units == 0 and outcome.name in ("repeat_contact", "next_issue", "churn", "contact"):
            flags.append("no follow-up window has ended yet by the end of the data: try a shorter window")
        return DriversReport(config, outcome.description, outcome.unit, units, hits, 0, 0, (), tuple(flags))

    by_family = {f.name: f for f in fams}
    labels = reason_labels(store)
    flat: list[_Candidate] = []
    reason_counts: dict[int, tuple[int, int]] = {}
    for c in counts:
        if c.family == "reason":
            reason_counts[int(c.value)] = (c.units, c.hits)
        if c.units < config.min_units or units - c.units < config.min_units:
            continue
        if c.family == "reason":
            continue  # tested through the tree below (a flat test where there is no tree)
        label = labels.get(int(c.value), c.value) if c.family == "sub_reason" else c.value
        cond = sql.candidate_condition(by_family.get(c.family), c.value, attribute=c.family == "attribute")
        flat.append(_Candidate(c.family, c.value, family_label(c.family, label), c.units, c.hits, cond))
    for cand in flat:
        cand.p = st.two_proportion_p(cand.y, cand.n, hits - cand.y, units - cand.n)
    reasons = _reason_candidates(store, reason_counts, labels, units, hits, config, flags) if reason_counts else []
    for cand in reasons:
        if not cand.members:
            flat.append(cand)
    for cand, q in zip(flat, st.benjamini_hochberg([c.p for c in flat]), strict=True):
        cand.q = q
    tested = flat + [c for c in reasons if c.members]
    significant = [c for c in tested if c.q < config.alpha and c.y / c.n > (hits - c.y) / (units - c.n)]
    significant.sort(key=lambda c: -_excess(c, units, hits))
    kept = _resolve_overlaps(store, outcome, significant[: 3 * config.top], config, dates)
    drivers = tuple(_driver(c, units, hits, ex) for c, ex in kept)
    return DriversReport(
        config, outcome.description, outcome.unit, units, hits, len(tested), len(significant), drivers, tuple(flags)
    )


def family_label(family: str, value: str) -> str:
    """How a driver of this family reads (``value``: a reason's name for a sub-reason)."""
    if family == "failed":
        return "any failed self-service event"
    if family in ("reason", "sub_reason", "prior_failure", "path", "event"):
        prefix = {"reason": "", "sub_reason": "", "prior_failure": "after a failed ", "path": "path ", "event": ""}
        return f"{prefix[family]}{value}"
    return f"{family} {value}"


def _excess(c: _Candidate, units: int, hits: int) -> float:
    baseline = (hits - c.y) / (units - c.n)
    return (c.y - c.n * baseline) / hits


def _reason_candidates(
    store: Store,
    counts: dict[int, tuple[int, int]],
    labels: dict[int, str],
    units: int,
    hits: int,
    config: DriversConfig,
    flags: list[str],
) -> list[_Candidate]:
    """Reasons, and groups of related reasons found by scanning the tree of the reason model's
    centroids. Without a discovered model (a taxonomy), each reason is a flat candidate."""
    ids = sorted(counts)
    tree = reason_tree(store, ids)
    if tree is None:
        out = []
        for i in ids:
            n, y = counts[i]
            if n >= config.min_units and units - n >= config.min_units:
                cand = _Candidate("reason", str(i), labels.get(i, str(i)), n, y, f"topic_id = {i}")
                cand.p = st.two_proportion_p(y, n, hits - y, units - n)
                out.append(cand)
        return out
    leaves = tree.nodes()
    nodes = np.zeros((len(leaves), len(ids)))
    for row, members in enumerate(leaves):
        nodes[row, members] = 1.0
    leaf_n = np.array([counts[i][0] for i in ids], dtype=float)
    leaf_y = np.array([counts[i][1] for i in ids], dtype=float)
    llr, p = st.tree_scan(leaf_n, leaf_y, nodes, units, hits, permutations=config.permutations, seed=config.seed)
    chosen: list[_Candidate] = []
    taken: set[int] = set()
    for row in np.argsort(-llr, kind="stable"):
        members = leaves[int(row)]
        n, y = int(nodes[row] @ leaf_n), int(nodes[row] @ leaf_y)
        if llr[row] <= 0 or p[row] >= config.alpha or n < config.min_units or taken & set(members):
            continue
        taken |= set(members)
        topic_ids = [ids[m] for m in members]
        cand = _Candidate(
            "reason", "+".join(map(str, sorted(topic_ids))), tree.label(topic_ids), n, y,
            f"topic_id IN ({', '.join(map(str, topic_ids))})",
            members=tuple(labels.get(t, str(t)) for t in sorted(topic_ids, key=lambda t: -counts[t][0])),
        )  # fmt: skip
        cand.p = st.two_proportion_p(y, n, hits - y, units - n)
        cand.q = float(p[row])
        chosen.append(cand)
    if not chosen:
        flags.append("no reason or group of related reasons stands out (tree scan)")
    return chosen


def _resolve_overlaps(
    store: Store,
    outcome: sql.OutcomeSql,
    ranked: list[_Candidate],
    config: DriversConfig,
    dates: dict[str, Any],
) -> list[tuple[_Candidate, tuple[str, ...]]]:
    """A driver whose excess is gone once the units of a driver of a family at least as specific
    (SPECIFICITY) are taken out — the rest is not above its baseline — is explained by that one and
    listed under it: a reason explains the queue it is routed to, never the other way round, and
    ending unresolved does not hide the reasons that end so. The kept ones stay in ranking order."""
    if not ranked:
        return []
    masks, counts, hits = sql.overlaps(store, outcome, [c.condition for c in ranked], **dates)
    member = ((masks[:, None] >> np.arange(len(ranked))[None, :]) & 1).astype(float)  # combinations × candidates
    both_n = member.T @ (member * counts[:, None])  # units in candidates i and j
    both_y = member.T @ (member * hits[:, None])
    units, outcomes = float(counts.sum()), float(hits.sum())
    order = sorted(range(len(ranked)), key=lambda j: (SPECIFICITY.index(ranked[j].family), j))
    kept: list[int] = []
    for j in order:
        explainer = next((i for i in kept if _explained(j, i, both_n, both_y, units, outcomes, config)), None)
        if explainer is None:
            kept.append(j)
        else:
            ranked[explainer].explains.append(ranked[j].label)
    kept.sort()
    shown = kept[: config.top]
    found = sql.examples(store, outcome, [ranked[i].condition for i in shown], config.examples, **dates)
    return [(ranked[i], tuple(ex)) for i, ex in zip(shown, found, strict=True)]


# From the most specific family to the least: what the customer came about, then what they did before,
# how it was coded, routed and handled.
SPECIFICITY = ("reason", "sub_reason", "prior_failure", "event", "event_type", "path", "attribute", "failed",
               "queue", "team", "channel", "handling")  # fmt: skip


def _more_specific(a: _Candidate, b: _Candidate) -> bool:
    return SPECIFICITY.index(a.family) < SPECIFICITY.index(b.family)


def _explained(
    j: int, i: int, both_n: np.ndarray, both_y: np.ndarray, units: float, outcomes: float, config: DriversConfig
) -> bool:
    """Is candidate j's excess gone once candidate i's units are taken out of it?"""
    n, y = int(both_n[j, j] - both_n[i, j]), int(both_y[j, j] - both_y[i, j])
    outside_n, outside_y = int(units - both_n[j, j]), int(outcomes - both_y[j, j])
    if n < config.min_units or outside_n == 0:
        return True
    if y / n <= outside_y / outside_n:
        return True
    return st.two_proportion_p(y, n, outside_y, outside_n) >= config.alpha


def _driver(c: _Candidate, units: int, hits: int, examples: tuple[str, ...]) -> Driver:
    rest_n, rest_y = units - c.n, hits - c.y
    baseline = rest_y / rest_n
    lo, hi = st.newcombe(c.y, c.n, rest_y, rest_n)
    return Driver(
        family=c.family,
        value=c.value,
        label=c.label,
        units=c.n,
        outcomes=c.y,
        rate=round(c.y / c.n, 6),
        rate_ci=_round(st.wilson(c.y, c.n)),
        baseline=round(baseline, 6),
        lift=round((c.y / c.n) / baseline, 4) if baseline > 0 else None,
        share=round(c.y / hits, 6),
        share_ci=_round(st.wilson(c.y, hits)),
        share_beyond=round((c.y - c.n * baseline) / hits, 6),
        share_beyond_ci=_round((max(-1.0, lo * c.n / hits), min(1.0, hi * c.n / hits))),
        p_value=c.p,
        q_value=c.q,
        members=c.members,
        explains=tuple(c.explains),
        examples=examples,
    )


def _round(pair: tuple[float, float]) -> tuple[float, float]:
    return round(pair[0], 6), round(pair[1], 6)
