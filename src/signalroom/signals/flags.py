"""Advisors' signals (docs/signals.md#advisors-signals): a frontline advisor flags a pattern
("customers confused by the new fee letter"), optionally with the interaction that shows it. Similar
flags are grouped, each group is matched to the machine-detected signal it describes, and becomes a
finding of the "advisor" detector, so it takes its place in the same ranked list with its count.

Grouping: the flags' texts are embedded (the fast tier: flags are short and this runs on every
listing) and clustered by average-linkage agglomerative clustering on cosine distance, cut at a
distance threshold — the number of groups is not known in advance. The referred interactions'
customer needs weigh in: two flags whose interactions have the same need get a similarity bonus, so
a moderately similar pair about the same need ("fee letter confusing" / "what are these new
charges") joins while unrelated texts about one need stay apart; two whose interactions have
different needs get a smaller penalty, so neighbouring problems worded alike ("can't log in to the
app" / "locked out, web reset fails") are not merged on words alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs, SignalsError
from signalroom.store import flags as flag_store
from signalroom.store import webhooks
from signalroom.store.flags import Flag
from signalroom.store.warehouse import Store

MAX_TEXT = 500  # a flag names a pattern in a sentence or two; longer is a case note, not a flag
MAX_ADVISOR = 100

__all__ = [
    "MAX_ADVISOR",
    "MAX_TEXT",
    "Flag",
    "FlagConfig",
    "FlagError",
    "FlagGroup",
    "FlagReview",
    "SignalCandidate",
    "add_flag",
    "candidate",
    "flag_findings",
    "flag_vectors",
    "group_flags",
    "match_groups",
    "parse_reference",
    "review_flags",
    "signal_candidates",
]


class FlagError(SignalsError):
    """A flag that cannot be recorded: the message says what is wrong with which input."""


def parse_reference(reference: str) -> tuple[str, str]:
    """'source/id' as (source, id); the id may itself contain '/'."""
    source, slash, ident = reference.strip().partition("/")
    if not slash or not source.strip() or not ident.strip():
        raise FlagError(f"interaction reference {reference!r} is not SOURCE/ID (for example demo/c-000123)")
    return source.strip(), ident.strip()


def add_flag(store: Store, *, advisor: str, text: str, interaction: str | None) -> int:
    """Record an advisor's flag and announce it (webhook event ``flag.created``) in one
    transaction. Raises FlagError for an empty or overlong text or advisor, a malformed interaction
    reference, or one that names no stored interaction."""
    advisor, text = advisor.strip(), " ".join(text.split())
    if not advisor:
        raise FlagError("the advisor is empty: say who flags it")
    if len(advisor) > MAX_ADVISOR:
        raise FlagError(f"the advisor name is {len(advisor)} characters long; at most {MAX_ADVISOR}")
    if not text:
        raise FlagError("the flag's text is empty: describe the pattern, e.g. 'customers confused by the fee letter'")
    if len(text) > MAX_TEXT:
        raise FlagError(f"the flag's text is {len(text)} characters long; at most {MAX_TEXT}: name the pattern")
    source = ident = None
    if interaction is not None:
        source, ident = parse_reference(interaction)
    with store.transaction():
        if source is not None and ident is not None and not flag_store.interaction_exists(store, source, ident):
            raise FlagError(f"interaction {source}/{ident} is not in the warehouse: check the source and the id")
        flag = flag_store.insert_flag(store, advisor=advisor, text=text, source=source, ident=ident)
        webhooks.emit(store, "flag.created", {
            "flag_id": flag.flag_id, "advisor": flag.advisor, "text": flag.text,
            "interaction": flag.interaction, "created_at": flag.created_at.isoformat(),
        })  # fmt: skip
    return flag.flag_id


@dataclass(frozen=True, kw_only=True)
class FlagConfig:
    """Thresholds, calibrated on the fast tier's cosines of short flag texts: paraphrases score
    about 0.4-0.85 there, unrelated flags mostly under 0.3 (docs/signals.md#advisors-signals). On
    that calibration set 0.4 merged nothing that differs and split the fewest paraphrases."""

    tier: str = "fast"
    group_similarity: float = 0.4  # least average cosine within a group
    same_need_bonus: float = 0.2  # added to the cosine of two flags whose interactions share a need
    other_need_penalty: float = 0.1  # taken from the cosine of two whose interactions have different needs
    match_similarity: float = 0.45  # least cosine between a group's centre and a signal's title or phrase
    min_link_share: float = 0.5  # least share of a group's interactions among a signal's evidence or reasons

    def __post_init__(self) -> None:
        for name in ("group_similarity", "match_similarity", "min_link_share"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"FlagConfig.{name} must be in (0, 1], got {value}")
        for name in ("same_need_bonus", "other_need_penalty"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"FlagConfig.{name} must be in [0, 1), got {value}")


@dataclass(frozen=True, kw_only=True, eq=False)
class FlagGroup:
    group_id: int  # its smallest flag id: stays the same while the group only grows
    flags: tuple[Flag, ...]
    centre: NDArray[np.float32] = field(repr=False)  # unit mean of its flags' vectors
    representative: Flag  # the flag closest to the centre

    @property
    def interactions(self) -> list[str]:
        return list(dict.fromkeys(f.interaction for f in self.flags if f.interaction is not None))

    @property
    def advisors(self) -> list[str]:
        return sorted({f.advisor for f in self.flags})


@dataclass(frozen=True, kw_only=True, eq=False)
class SignalCandidate:
    """A machine-detected signal as matching sees it."""

    title: str
    reasons: frozenset[int]
    phrases: tuple[str, ...]
    evidence: frozenset[str]  # 'source/id'
    vector: NDArray[np.floating[Any]] | None = field(default=None, repr=False)  # rows: title, then each phrase


def flag_vectors(flags: Sequence[Flag], embedder: Any) -> NDArray[np.float32]:
    return np.asarray(embedder.encode([f.text for f in flags]), dtype=np.float32)


def candidate(
    *, title: str, reasons: Sequence[int], phrases: Sequence[str], evidence: Sequence[str], embedder: Any
) -> SignalCandidate:
    """A candidate with its title and each phrase embedded as rows of their own: a phrase such as
    "since the update" is judged on its own rather than diluted in a long title."""
    texts = [title, *phrases]
    return SignalCandidate(
        title=title, reasons=frozenset(reasons), phrases=tuple(phrases), evidence=frozenset(evidence),
        vector=np.asarray(embedder.encode(texts), dtype=np.float32),
    )  # fmt: skip


def _unit(vector: NDArray[np.float32]) -> NDArray[np.float32]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def group_flags(
    flags: Sequence[Flag], vectors: NDArray[np.floating[Any]], flag_needs: Mapping[int, int | None], config: FlagConfig
) -> list[FlagGroup]:
    """Similar flags grouped (module docstring), largest group first. ``vectors`` are the flags'
    unit-length text embeddings in the same order; ``flag_needs`` maps a flag id to the need of the
    interaction it refers to (absent or None: no need known)."""
    from sklearn.cluster import AgglomerativeClustering

    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(flags):
        raise ValueError(f"group_flags needs one vector per flag: {len(flags)} flags, vectors of shape {vectors.shape}")
    if not flags:
        return []
    if len(flags) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        similarity = np.clip(vectors @ vectors.T, -1.0, 1.0)
        needs = [flag_needs.get(f.flag_id) for f in flags]
        known = np.array([n is not None for n in needs])
        codes = np.array([-1 if n is None else n for n in needs])
        both = known[:, None] & known[None, :]
        same = both & (codes[:, None] == codes[None, :])
        bonus = np.where(same, config.same_need_bonus, 0.0)
        similarity = similarity + bonus - np.where(both & ~same, config.other_need_penalty, 0.0)
        distance = 1.0 - np.minimum(similarity, 1.0)
        distance = np.maximum((distance + distance.T) / 2, 0.0)
        np.fill_diagonal(distance, 0.0)
        labels = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average",
            distance_threshold=1.0 - config.group_similarity,
        ).fit_predict(distance)  # fmt: skip
    groups = []
    for label in np.unique(labels):
        members = [i for i in range(len(flags)) if labels[i] == label]
        centre = _unit(vectors[members].mean(axis=0))
        closeness = vectors[members] @ centre
        best = max(range(len(members)), key=lambda k: (float(closeness[k]), -flags[members[k]].flag_id))
        groups.append(
            FlagGroup(
                group_id=min(flags[i].flag_id for i in members),
                flags=tuple(flags[i] for i in members),
                centre=centre.astype(np.float32),
                representative=flags[members[best]],
            )
        )
    groups.sort(key=lambda g: (-len(g.flags), g.group_id))
    return groups


def link_share(group: FlagGroup, candidate: SignalCandidate) -> float:
    """The share of the group's referred interactions that the candidate's evidence contains or
    whose reason is among the candidate's reasons (0 when the flags refer to none)."""
    referred = [f for f in group.flags if f.interaction is not None]
    if not referred:
        return 0.0
    linked = sum(
        1 for f in referred
        if f.interaction in candidate.evidence or (f.reason is not None and f.reason in candidate.reasons)
    )  # fmt: skip
    return linked / len(referred)


def text_similarity(group: FlagGroup, candidate: SignalCandidate) -> float:
    """Cosine between the group's centre and the closest of the candidate's title and phrases."""
    if candidate.vector is None:
        return 0.0
    rows = np.atleast_2d(np.asarray(candidate.vector, dtype=np.float32))
    if rows.shape[1] != group.centre.shape[0]:
        raise ValueError(
            f"candidate {candidate.title!r} has vectors of {rows.shape[1]} dimensions, the flags "
            f"{group.centre.shape[0]}: embed both with the same tier"
        )
    return float(max(0.0, float(np.max(rows @ group.centre))))


def match_groups(
    groups: Sequence[FlagGroup], candidates: Sequence[SignalCandidate], config: FlagConfig
) -> dict[int, tuple[int, float]]:
    """The best matching candidate of each group that has one: group index → (candidate index,
    score). A group matches a candidate on either ground alone — at least ``min_link_share`` of its
    interactions linked to the candidate (among its evidence, or of one of its reasons), or its text
    at least ``match_similarity`` close to the candidate's title or a phrase. The score combines
    both as independent evidence, 1 − (1 − link)(1 − text): either alone carries its own weight and
    agreement raises it, so a need signal the flagged contacts belong to and that the flags also
    describe beats one they only belong to."""
    matches: dict[int, tuple[int, float]] = {}
    for g, group in enumerate(groups):
        best: tuple[float, float, int] | None = None
        for c, cand in enumerate(candidates):
            link, text = link_share(group, cand), text_similarity(group, cand)
            if link < config.min_link_share and text < config.match_similarity:
                continue
            score = 1.0 - (1.0 - link) * (1.0 - text)
            if best is None or (score, text) > (best[0], best[1]):
                best = (score, text, c)
        if best is not None:
            matches[g] = (best[2], round(best[0], 4))
    return matches


def flag_findings(store: Store, needs: Needs, groups: Sequence[FlagGroup]) -> list[Finding]:
    """Each group as a finding of the "advisor" detector. There is no statistical test behind a
    flag — an advisor's judgement is the evidence — so p_value is 1.0: the ranked list orders such
    findings by their count, never by significance."""
    persons = flag_store.persons_of(store, [ref for g in groups for ref in g.interactions])
    findings = []
    for group in groups:
        referred = group.interactions
        reason_of = {f.interaction: f.reason for f in group.flags if f.interaction is not None}
        need_counts = Counter(
            needs.need(reason_of[ref]) for ref in referred if reason_of[ref] is not None
        )  # fmt: skip
        # The need of at least half the referred interactions; two needs at half each name neither.
        ranked = need_counts.most_common(2)
        need = None
        if ranked and 2 * ranked[0][1] >= len(referred) and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
            need = ranked[0][0]
        days = Counter(f.day for f in group.flags)
        findings.append(
            Finding(
                detector="advisor",
                subject=group.representative.text,
                need=need,
                reasons=tuple(sorted({r for r in reason_of.values() if r is not None})),
                first_detected=min(days),
                last_detected=max(days),
                days_detected=len(days),
                p_value=1.0,
                measure={"flags": len(group.flags), "advisors": len(group.advisors), "group": group.group_id},
                series=[{"day": d.isoformat(), "flags": n} for d, n in sorted(days.items())],
                evidence=referred,
                customers=len({persons[r] for r in referred if r in persons}),
                support=len(group.flags),
            )
        )
    return findings


@dataclass(frozen=True, kw_only=True)
class FlagReview:
    """The flags grouped, as findings, each group's matched stored signal (group index → (signal
    as ``ranked_signals`` gives it, score))."""

    groups: list[FlagGroup]
    findings: list[Finding]
    matches: dict[int, tuple[dict[str, Any], float]]


def signal_candidates(signals: Sequence[Mapping[str, Any]], embedder: Any) -> list[SignalCandidate]:
    """Stored signals (``ranked_signals``) as candidates, in the same order."""
    return [
        candidate(
            title=str(s["title"]),
            reasons=[int(r) for r in s["reasons"]],
            phrases=[str(f["phrase"]) for f in s["findings"] if f.get("phrase")],
            evidence=[str(e) for e in s["evidence"]],
            embedder=embedder,
        )
        for s in signals
    ]


def group_and_match(
    store: Store,
    needs: Needs,
    flags: Sequence[Flag],
    candidates: Callable[[Any], Sequence[SignalCandidate]],
    config: FlagConfig,
    embedder: Any = None,
) -> tuple[list[FlagGroup], list[Finding], dict[int, tuple[int, float]]]:
    """The flags grouped, as findings, and each group's best candidate (group index → (candidate
    index, score)). ``candidates`` makes the candidates with the embedder the flags were embedded
    with."""
    from signalroom.pipeline.embed import make_embedder

    embedder = embedder or make_embedder(config.tier)
    groups = group_flags(flags, flag_vectors(flags, embedder), {f.flag_id: needs.need(f.reason) for f in flags}, config)
    matches = match_groups(groups, candidates(embedder), config) if groups else {}
    return groups, flag_findings(store, needs, groups), matches


def review_flags(
    store: Store,
    *,
    advisor: str | None = None,
    since: date | None = None,
    advisors: Sequence[str] | None = None,
    config: FlagConfig | None = None,
    embedder: Any = None,
) -> FlagReview:
    """Group the flags (optionally one advisor's or those of ``advisors``, or those since a day) and
    match the groups to the machine-detected signals of the latest ranked list. It stores nothing:
    the grouping recorded on the flags is the one `signalroom analyze` and `signals detect` make
    with the list."""
    from signalroom.signals.needs import needs_of
    from signalroom.store.signals import ranked_signals

    flags = flag_store.list_flags(store, advisor=advisor, since=since, advisors=advisors)
    try:
        needs = needs_of(store)
    except SignalsError:  # no episodes built yet: each reason is its own need
        needs = Needs({}, {}, {})
    # A stored "flags" signal is an earlier grouping of these same flags, not a machine detection.
    signals: list[dict[str, Any]] = [s for s in ranked_signals(store) if s["kind"] != "flags"] if flags else []
    groups, findings, matched = group_and_match(
        store, needs, flags, lambda e: signal_candidates(signals, e), config or FlagConfig(), embedder
    )
    matches = {g: (signals[c], score) for g, (c, score) in matched.items()}
    return FlagReview(groups=groups, findings=findings, matches=matches)


def review_rows(review: FlagReview) -> list[dict[str, Any]]:
    """The review's groups as plain rows (what `signalroom signals flags --json` and the API show):
    each group's flags, who raised them, the customers and need, and the signal it matches."""
    rows: list[dict[str, Any]] = []
    for index, (group, finding) in enumerate(zip(review.groups, review.findings, strict=True)):
        match = review.matches.get(index)
        rows.append({
            "group_id": group.group_id, "text": finding.subject, "flags": len(group.flags),
            "advisors": group.advisors, "customers": finding.customers, "need": finding.need,
            "first": finding.first_detected, "last": finding.last_detected,
            "signal": None if match is None else {
                "signal_id": match[0]["signal_id"], "title": match[0]["title"], "rank": match[0]["rank"],
                "score": round(match[1], 3),
            },
            "items": [
                {"flag_id": f.flag_id, "advisor": f.advisor, "text": f.text, "interaction": f.interaction,
                 "created_at": f.created_at}
                for f in group.flags
            ],
        })  # fmt: skip
    return rows
