"""Next-issue prediction: what a customer is likely to contact us about next, learned from history.

From each person's inbound contacts in time order (the ``contacts`` table of an episode build),
every contact followed by another within the episode window is a *transition*: current reason
``r`` (and whether the contact ended resolved) → next reason ``r'``. The model estimates

    P(r' | r, resolved) = (n(r, resolved, r') + m · P(r' | r)) / (n(r, resolved) + m)
    P(r' | r)           = (n(r, r') + m · P(r'))            / (n(r) + m)
    P(r')               = (n(r') + α) / (N + α · K)

— additive smoothing (α) of the overall next-reason distribution, and each narrower context backed
off to the wider one with ``m`` pseudo-transitions, so a reason seen twice leans on the overall
distribution and one seen a thousand times speaks for itself. The probabilities are conditional on
there being a next contact; how often one comes within the window is estimated separately per reason
(``contact_rate``), counting only contacts whose window had ended when the data did.

The held-out evaluation (:func:`evaluate`) fits on the first ``train_fraction`` of the days and
scores the transitions that start later, against the baseline "the most frequent next reason".
docs/context.md has the numbers measured on the demo month.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from signalroom.journeys.reason_groups import reason_tree
from signalroom.store import context as context_store
from signalroom.store.outcome_metrics import reason_labels
from signalroom.store.warehouse import Store

FORMAT = "signalroom.next_issue/1"
DEFAULT_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Contact:
    """One inbound contact with a person and a reason (a row of ``contacts``)."""

    person_id: int
    topic_id: int
    started_at: datetime
    resolved: bool | None = None


@dataclass(frozen=True)
class Transition:
    current: Contact
    next_topic: int


def transitions(contacts: Iterable[Contact], window_days: int) -> list[Transition]:
    """Each contact followed by the same person's next contact within ``window_days``."""
    window = timedelta(days=window_days)
    ordered = sorted(contacts, key=lambda c: (c.person_id, c.started_at, c.topic_id))
    found = []
    for before, after in pairwise(ordered):
        if before.person_id == after.person_id and after.started_at - before.started_at <= window:
            found.append(Transition(before, after.topic_id))
    return found


def as_needs(contacts: Iterable[Contact], needs: dict[int, int]) -> list[Contact]:
    """The contacts with each reason replaced by its need."""
    return [
        c if c.topic_id not in needs else Contact(c.person_id, needs[c.topic_id], c.started_at, c.resolved)
        for c in contacts
    ]


def _resolved_key(topic: int, resolved: bool | None) -> str:
    return f"{topic}:{'u' if resolved is None else int(resolved)}"


class NextIssuePredictor:
    # Learned state (set by fit / from_dict).
    classes_: list[int]  # every next reason seen, in id order
    overall_: dict[int, int]  # n(r')
    by_topic_: dict[int, dict[int, int]]  # n(r, r')
    by_resolved_: dict[str, dict[int, int]]  # n((r, resolved), r')
    followed_: dict[int, tuple[int, int]]  # per r: (contacts followed within the window, contacts whose window ended)
    repeats_: int  # transitions to the same reason again
    n_transitions_: int
    needs_: dict[int, int]  # reason → the need it is predicted as (reason_groups); a reason not in it is its own

    def __init__(
        self,
        *,
        window_days: int = DEFAULT_WINDOW_DAYS,
        alpha: float = 1.0,
        backoff: float = 20.0,
        use_resolved: bool = False,
    ) -> None:
        if window_days < 1:
            raise ValueError(f"window_days must be at least 1, got {window_days}")
        if alpha <= 0 or backoff <= 0:
            raise ValueError(f"alpha and backoff must be positive, got {alpha} and {backoff}")
        self.window_days = window_days
        self.alpha = alpha
        self.backoff = backoff
        self.use_resolved = use_resolved

    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    def fit(
        self, contacts: Sequence[Contact], until: datetime | None = None, needs: dict[int, int] | None = None
    ) -> NextIssuePredictor:
        """Learn from the contacts; ``until`` (default: the last contact's start) is when the data
        ends, for the contact rate: a contact less than the window before it is not counted.
        ``needs`` maps reasons to the needs predicted (related reasons as one); by default each
        reason is its own."""
        self.needs_ = dict(needs or {})
        contacts = as_needs(contacts, self.needs_)
        found = transitions(contacts, self.window_days)
        overall: Counter[int] = Counter()
        by_topic: dict[int, Counter[int]] = {}
        by_resolved: dict[str, Counter[int]] = {}
        for t in found:
            overall[t.next_topic] += 1
            by_topic.setdefault(t.current.topic_id, Counter())[t.next_topic] += 1
            key = _resolved_key(t.current.topic_id, t.current.resolved)
            by_resolved.setdefault(key, Counter())[t.next_topic] += 1
        end = until or max((c.started_at for c in contacts), default=None)
        window = timedelta(days=self.window_days)
        followed_ids = {id(t.current) for t in found}
        followed: dict[int, list[int]] = {}
        for c in contacts:
            if end is not None and c.started_at + window <= end:
                counts = followed.setdefault(c.topic_id, [0, 0])
                counts[0] += id(c) in followed_ids
                counts[1] += 1
        self.classes_ = sorted(set(overall) | {c.topic_id for c in contacts})
        self.overall_ = dict(overall)
        self.by_topic_ = {k: dict(v) for k, v in by_topic.items()}
        self.by_resolved_ = {k: dict(v) for k, v in by_resolved.items()}
        self.followed_ = {k: (v[0], v[1]) for k, v in followed.items()}
        self.repeats_ = sum(t.current.topic_id == t.next_topic for t in found)
        self.n_transitions_ = len(found)
        return self

    def _check(self) -> None:
        if not hasattr(self, "classes_"):
            raise RuntimeError("call fit(contacts) first")

    def _backed_off(self, counts: dict[int, int] | None, prior: dict[int, float]) -> dict[int, float]:
        if not counts:
            return prior
        total = sum(counts.values())
        return {r: (counts.get(r, 0) + self.backoff * p) / (total + self.backoff) for r, p in prior.items()}

    def baseline_proba(self) -> dict[int, float]:
        """P(r'): the overall next-reason distribution, smoothed."""
        self._check()
        total = sum(self.overall_.values()) + self.alpha * len(self.classes_)
        return {r: (self.overall_.get(r, 0) + self.alpha) / total for r in self.classes_}

    def predict_proba(self, topic_id: int | None, resolved: bool | None = None) -> dict[int, float]:
        """P(next reason | this contact's reason and resolution), over ``classes_``; an unknown or
        missing reason gets the overall distribution."""
        probs = self.baseline_proba()
        topic_id = self.need_of(topic_id)
        if topic_id is None or topic_id not in probs:
            return probs
        # The rate of coming back about the same reason is pooled over all reasons: a reason seen
        # a few times still leans towards its own repeat, which is what most next contacts are.
        stay = (self.repeats_ + self.alpha) / (self.n_transitions_ + 2 * self.alpha)
        probs = {r: (1 - stay) * p + (stay if r == topic_id else 0.0) for r, p in probs.items()}
        probs = self._backed_off(self.by_topic_.get(topic_id), probs)
        if self.use_resolved:
            probs = self._backed_off(self.by_resolved_.get(_resolved_key(topic_id, resolved)), probs)
        return probs

    def need_of(self, topic_id: int | None) -> int | None:
        """The need a reason is predicted as."""
        return None if topic_id is None else self.needs_.get(topic_id, topic_id)

    def top(self, topic_id: int | None, resolved: bool | None = None, k: int = 3) -> list[tuple[int, float]]:
        probs = self.predict_proba(topic_id, resolved)
        return sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    def contact_rate(self, topic_id: int | None) -> float | None:
        """How often a contact about this reason was followed by another within the window
        (smoothed towards the rate over all reasons); None without any ended window."""
        self._check()
        followed = sum(f for f, _ in self.followed_.values())
        seen = sum(n for _, n in self.followed_.values())
        if not seen:
            return None
        overall = (followed + self.alpha) / (seen + 2 * self.alpha)
        need = self.need_of(topic_id)
        f, n = self.followed_.get(need, (0, 0)) if need is not None else (0, 0)
        return (f + self.backoff * overall) / (n + self.backoff)

    def to_dict(self) -> dict[str, Any]:
        self._check()
        return {
            "format": FORMAT,
            "params": self.get_params(),
            "classes": self.classes_,
            "overall": [[r, n] for r, n in sorted(self.overall_.items())],
            "by_topic": [[t, [[r, n] for r, n in sorted(c.items())]] for t, c in sorted(self.by_topic_.items())],
            "by_resolved": [[k, [[r, n] for r, n in sorted(c.items())]] for k, c in sorted(self.by_resolved_.items())],
            "followed": [[t, f, n] for t, (f, n) in sorted(self.followed_.items())],
            "repeats": self.repeats_,
            "n_transitions": self.n_transitions_,
            "needs": [[r, n] for r, n in sorted(self.needs_.items())],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NextIssuePredictor:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a next-issue model: format {data.get('format')!r}, expected {FORMAT!r}")
        model = cls(**data["params"])
        model.classes_ = [int(r) for r in data["classes"]]
        model.overall_ = {int(r): int(n) for r, n in data["overall"]}
        model.by_topic_ = {int(t): {int(r): int(n) for r, n in c} for t, c in data["by_topic"]}
        model.by_resolved_ = {str(k): {int(r): int(n) for r, n in c} for k, c in data["by_resolved"]}
        model.followed_ = {int(t): (int(f), int(n)) for t, f, n in data["followed"]}
        model.repeats_ = int(data["repeats"])
        model.n_transitions_ = int(data["n_transitions"])
        model.needs_ = {int(r): int(n) for r, n in data.get("needs", [])}
        return model


# -- held-out evaluation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    top1: float
    top3: float
    log_loss: float
    brier: float


@dataclass(frozen=True)
class Evaluation:
    cutoff: datetime  # fitted on contacts before it, scored on transitions starting from it on
    train_days: int
    test_days: int
    train_transitions: int
    test_transitions: int
    model: Scores  # knowing how the contact ended (resolved or not)
    at_start: Scores  # knowing only its reason, as at the start of a contact
    baseline: Scores  # the most frequent next reason (the smoothed overall distribution)
    repeat_top1: float  # "the same reason again"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scores(cases: list[tuple[dict[int, float], int]]) -> Scores:
    if not cases:
        return Scores(math.nan, math.nan, math.nan, math.nan)
    top1 = top3 = log_loss = brier = 0.0
    for probs, truth in cases:
        ranked = sorted(probs, key=lambda r: (-probs[r], r))
        top1 += ranked[0] == truth
        top3 += truth in ranked[:3]
        # A reason first seen after the cutoff has no probability: scored as the floor below.
        log_loss -= math.log(max(probs.get(truth, 0.0), 1e-6))
        brier += sum((p - (r == truth)) ** 2 for r, p in probs.items()) + (0.0 if truth in probs else 1.0)
    n = len(cases)
    return Scores(round(top1 / n, 4), round(top3 / n, 4), round(log_loss / n, 4), round(brier / n, 4))


def evaluate(
    contacts: Sequence[Contact],
    *,
    train_fraction: float = 0.75,
    needs: dict[int, int] | None = None,
    **params: Any,
) -> Evaluation:
    """Fit on the contacts of the first ``train_fraction`` of the days (by calendar, from the first
    contact's day) and score every transition that starts after that, both as needs (``needs``:
    reason → need, as the model in use predicts them)."""
    contacts = as_needs(contacts, needs or {})
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must be between 0 and 1, got {train_fraction}")
    if not contacts:
        raise ValueError("no contacts with a person and a reason to evaluate on")
    first = min(c.started_at for c in contacts)
    last = max(c.started_at for c in contacts)
    days = (last.date() - first.date()).days + 1
    train_days = max(1, min(days - 1, round(days * train_fraction)))
    cutoff = datetime.combine(first.date() + timedelta(days=train_days), datetime.min.time(), first.tzinfo)
    train = [c for c in contacts if c.started_at < cutoff]
    model = NextIssuePredictor(**params).fit(train, until=cutoff)
    test = [t for t in transitions(contacts, model.window_days) if t.current.started_at >= cutoff]
    baseline = model.baseline_proba()
    return Evaluation(
        cutoff=cutoff,
        train_days=train_days,
        test_days=days - train_days,
        train_transitions=model.n_transitions_,
        test_transitions=len(test),
        model=_scores([(model.predict_proba(t.current.topic_id, t.current.resolved), t.next_topic) for t in test]),
        at_start=_scores([(model.predict_proba(t.current.topic_id), t.next_topic) for t in test]),
        baseline=_scores([(baseline, t.next_topic) for t in test]),
        repeat_top1=round(sum(t.current.topic_id == t.next_topic for t in test) / len(test), 4) if test else math.nan,
    )


# -- the model in use: fitted once per episode build, kept in the warehouse ---------------------------


@dataclass(frozen=True)
class FittedModel:
    built_at: datetime  # the episode build it learned from
    model: NextIssuePredictor
    evaluation: dict[str, Any] | None  # Evaluation.to_dict(); None: too little history to hold any out
    labels: dict[int, str]  # reason names at fit time


# Per warehouse file, the model last read: a process building many cards reads it once.
_IN_USE: dict[str, FittedModel] = {}


def history(store: Store) -> list[Contact]:
    return [Contact(p, t, at, resolved) for p, t, at, resolved in context_store.history_contacts(store)]


def _needs(store: Store) -> tuple[dict[int, int], dict[int, str]]:
    """Reason → need (groups of related reasons of the discovered model; none for a taxonomy), and
    the names to show: a need's is its largest reason's, with how many related reasons it holds."""
    labels = reason_labels(store)
    tree = reason_tree(store)
    if tree is None:
        return {}, labels
    needs = tree.groups()
    members: dict[int, list[int]] = {}
    for reason, need in needs.items():
        members.setdefault(need, []).append(reason)
    return needs, labels | {need: tree.label(reasons) for need, reasons in members.items()}


def model_in_use(store: Store, build: tuple[datetime, int] | None = None) -> FittedModel | None:
    """The model of the last episode build (``build``: its time and window, if already read): read
    from ``next_issue_models``, or fitted (and evaluated) now and kept there when the build is newer
    than the kept one. None without a build."""
    build = build or context_store.latest_build(store)
    if build is None:
        return None
    built_at, window_days = build
    known = _IN_USE.get(str(store.path))
    if known is not None and known.built_at == built_at:
        return known
    cached = context_store.cached_model(store, built_at)
    if cached is None:
        contacts = history(store)
        needs, labels = _needs(store)
        model = NextIssuePredictor(window_days=window_days).fit(contacts, needs=needs)
        held_out = evaluate(contacts, window_days=window_days, needs=needs) if contacts else None
        evaluation = held_out.to_dict() if held_out is not None and held_out.test_transitions else None
        cached = context_store.CachedModel(built_at, model.to_dict(), evaluation, labels)
        if not store.read_only:
            context_store.save_model(store, cached, window_days)
    fitted = FittedModel(built_at, NextIssuePredictor.from_dict(cached.state), cached.evaluation, cached.labels)
    _IN_USE[str(store.path)] = fitted
    return fitted
