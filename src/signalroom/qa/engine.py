"""Scoring interactions against scorecards (docs/qa.md#scoring): every phrase pattern of every
scorecard compiled into one matcher run once per interaction, then one scorer per criterion kind
(an explicit registry). Every answer carries its value (pass, fail or not applicable), an
explanation, a confidence and its evidence (the turn, the character span, the text), so an agent can
see exactly why — and dispute it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np

from signalroom.qa.llm_judge import DEFAULT_CONFIDENCE, JudgeError, LlmJudge
from signalroom.qa.phrases import PhraseMatch, PhraseMatcher, TurnText
from signalroom.qa.scorecard import (
    Applicability,
    LlmCriterion,
    MetricCriterion,
    NotApplicable,
    PhraseCriterion,
    PhraseSpec,
    Scorecard,
    SemanticCriterion,
    SensitiveCriterion,
    SentimentCriterion,
    SequenceCriterion,
)

Value = Literal["pass", "fail", "na"]
NEGATIVE_END = -0.05  # the sentiment scorer's negative threshold (docs/sentiment.md)
# How sure an answer is, before calibration against human evaluators (docs/qa.md#confidence): a
# phrase found is near certain; a phrase not found may have been said in other words.
FOUND, NOT_FOUND, MEASURED = 0.95, 0.8, 1.0
MAX_EVIDENCE = 3


@dataclass(frozen=True)
class QaInput:
    """What scoring reads of one interaction."""

    source: str
    id: str
    channel: str
    turns: Sequence[TurnText]
    turn_seqs: Sequence[int] = ()  # each turn's seq, for evidence that names it
    queue: str | None = None
    direction: str | None = None
    reason: str | None = None  # the contact reason's name
    reason_id: int | None = None
    transferred_in: bool = False  # it continues a handed-off or transferred interaction
    metrics: dict[str, Any] = field(default_factory=dict)  # conversation metrics (stage 'metrics')
    marks: Sequence[Sequence[dict[str, Any]]] = ()  # per turn, its redaction marks ({start, end, entity, recognizer})
    sentiment: dict[str, Any] | None = None  # stage 'sentiment'


@dataclass(frozen=True)
class Evidence:
    kind: Literal["turn", "metric", "sentiment"]
    text: str
    turn: int | None = None  # the turn's seq
    speaker: str | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        # Written for every answer with evidence: a plain dict, not dataclasses.asdict's deep copy.
        return {"kind": self.kind, "text": self.text, "turn": self.turn, "speaker": self.speaker,
                "start": self.start, "end": self.end}  # fmt: skip


@dataclass(frozen=True)
class Answer:
    criterion_id: str
    value: Value
    explanation: str
    confidence: float
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScoreResult:
    scorecard_id: str
    version: int
    answers: tuple[Answer, ...]
    earned: float
    potential: float
    auto_failed: bool

    @property
    def score(self) -> float | None:
        """Earned ÷ applicable potential; 0 when an auto-fail criterion failed; None when nothing applied."""
        if self.auto_failed:
            return 0.0
        return round(self.earned / self.potential, 6) if self.potential else None


class _Context:
    """One interaction's matches, shared by every criterion of every scorecard."""

    def __init__(self, item: QaInput, matches: dict[str, list[PhraseMatch]]) -> None:
        self.item = item
        self.matches = matches
        moments = (item.sentiment or {}).get("negative_moments") or []
        seqs = list(item.turn_seqs) or list(range(len(item.turns)))
        index = {s: i for i, s in enumerate(seqs)}
        customer = [index[m["seq"]] for m in moments if m.get("speaker") == "customer" and m.get("seq") in index]
        self.first_negative: int | None = min(customer) if customer else None
        self.seqs = seqs
        self.card = ""  # the scorecard being scored, and its criteria by id (for after/before)
        self.criteria: dict[str, Any] = {}
        # Semantic criteria: the sentence encoder, the examples' vectors by criterion, turn vectors.
        self.judge: LlmJudge | None = None
        self.embed: Callable[[list[str]], Any] | None = None
        self.examples: dict[str, Any] = {}
        self._vectors: dict[int, Any] = {}

    def similarities(self, key: str, c: SemanticCriterion) -> list[tuple[float, int]]:
        """(best cosine to the criterion's examples, turn index) for every turn it may be said in."""
        if self.embed is None:
            return []
        turns = self.item.turns
        chosen = [
            i
            for i, t in enumerate(turns[: c.within_turns] if c.within_turns else turns)
            if (c.speaker == "any" or t.speaker == c.speaker) and t.text.strip()
        ]
        if not chosen:
            return []
        vectors = self.turn_vectors(chosen)
        best = (vectors @ self.examples[key].T).max(axis=1)
        return [(float(b), i) for b, i in zip(best, chosen, strict=True)]

    def turn_vectors(self, indices: list[int]) -> Any:
        missing = [i for i in indices if i not in self._vectors]
        if missing and self.embed is not None:
            for i, v in zip(missing, self.embed([self.item.turns[i].text for i in missing]), strict=True):
                self._vectors[i] = v
        return np.stack([self._vectors[i] for i in indices])

    def first_of(self, criterion_id: str) -> tuple[int, int] | None:
        """Where a phrase criterion of the current scorecard is first said (turn, character)."""
        c = self.criteria[criterion_id]
        found = self.found(f"{self.card}/{criterion_id}/p", c, len(c.patterns))
        return (found[0].turn, found[0].start) if found else None

    def found(self, key: str, spec: PhraseSpec, count: int) -> list[PhraseMatch]:
        """The matches of a spec's patterns (ids ``key/0…``) that count: speaker, position, negation."""
        out: list[PhraseMatch] = []
        turns = self.item.turns
        first_ms = next((t.offset_ms for t in turns if t.offset_ms is not None), None)
        for i in range(count):
            for m in self.matches.get(f"{key}/{i}", ()):
                turn = turns[m.turn]
                if spec.speaker != "any" and turn.speaker != spec.speaker:
                    continue
                if m.negated and not spec.count_negated:
                    continue
                if spec.within_turns is not None and m.turn >= spec.within_turns:
                    continue
                limit, offset = spec.within_seconds, turn.offset_ms
                if (
                    limit is not None
                    and offset is not None
                    and first_ms is not None
                    and offset - first_ms > limit * 1000
                ):
                    continue
                out.append(m)
        # Two patterns can find the same words: one piece of evidence each.
        unique = {(m.turn, m.start, m.end): m for m in out}
        return sorted(unique.values(), key=lambda m: (m.turn, m.start))

    def evidence(self, matches: Sequence[PhraseMatch]) -> tuple[Evidence, ...]:
        return tuple(
            Evidence("turn", m.text, self.seqs[m.turn], self.item.turns[m.turn].speaker, m.start, m.end)
            for m in matches[:MAX_EVIDENCE]
        )


def _applies(rule: Applicability | None, item: QaInput) -> bool:
    if rule is None:
        return True
    if rule.channels is not None and item.channel not in rule.channels:
        return False
    if rule.queues is not None and item.queue not in rule.queues:
        return False
    if rule.direction is not None and (item.direction or "inbound") != rule.direction:
        return False
    return rule.reasons is None or _reason_in(rule.reasons, item)


def _reason_in(reasons: list[str], item: QaInput) -> bool:
    wanted = {r.casefold() for r in reasons}
    return (item.reason or "").casefold() in wanted or str(item.reason_id) in wanted


def _not_applicable(rule: NotApplicable | None, item: QaInput, ctx: _Context, key: str) -> str | None:
    """Why the criterion does not apply, or None."""
    if rule is None:
        return None
    if rule.channels is not None and item.channel in rule.channels:
        return f"not applicable on {item.channel}"
    if rule.queues is not None and item.queue in rule.queues:
        return f"not applicable in queue {item.queue}"
    if rule.reasons is not None and _reason_in(rule.reasons, item):
        return f"not applicable for reason {item.reason or item.reason_id}"
    if rule.transferred_in and item.transferred_in:
        return "not applicable: the interaction continues a transferred or handed-off one"
    if rule.customer_never_negative and ctx.first_negative is None:
        return "not applicable: the customer never turned negative"
    if rule.said is not None:
        said = ctx.found(f"{key}/na", rule.said, len(rule.said.patterns))
        if said:
            return f"not applicable: {said[0].text!r} was said"
    return None


# -- the scorers, one per criterion kind ------------------------------------------------------------


def _phrase(c: PhraseCriterion, ctx: _Context, key: str) -> Answer:
    found = ctx.found(f"{key}/p", c, len(c.patterns))
    for ref, keep_after in ((c.after, True), (c.before, False)):
        if ref is not None:
            anchor = ctx.first_of(ref)
            if anchor is None:
                found = found if not keep_after else []
            else:
                found = [m for m in found if ((m.turn, m.start) > anchor) == keep_after]
    if c.after_customer_negative and ctx.first_negative is not None:
        found = [m for m in found if m.turn > ctx.first_negative]
    where = _where(c)
    if c.expect == "present":
        if found:
            return Answer(c.id, "pass", f"said{where}: {found[0].text!r}", FOUND, ctx.evidence(found))
        return Answer(c.id, "fail", f"not said{where}", NOT_FOUND)
    if found:
        return Answer(c.id, "fail", f"said{where}, which must not be: {found[0].text!r}", FOUND, ctx.evidence(found))
    return Answer(c.id, "pass", f"not said{where}", NOT_FOUND)


def _where(spec: PhraseSpec) -> str:
    parts = [] if spec.speaker == "any" else [f" by the {spec.speaker}"]
    if spec.within_turns is not None:
        parts.append(f" within the first {spec.within_turns} turns")
    if spec.within_seconds is not None:
        parts.append(f" within {spec.within_seconds:g} s")
    return "".join(parts)


def _sequence(c: SequenceCriterion, ctx: _Context, key: str) -> Answer:
    then = ctx.found(f"{key}/then", c.then, len(c.then.patterns))
    if not then:
        return Answer(c.id, "na", "not applicable: what must come second never happened", FOUND)
    start = (then[0].turn, then[0].start)
    first = [m for m in ctx.found(f"{key}/first", c.first, len(c.first.patterns)) if (m.turn, m.start) < start]
    if first:
        explanation = f"{first[0].text!r} came before {then[0].text!r}"
        return Answer(c.id, "pass", explanation, FOUND, ctx.evidence([first[0], then[0]]))
    explanation = f"{then[0].text!r} without what must come before it"
    return Answer(c.id, "fail", explanation, NOT_FOUND, ctx.evidence(then))


def _metric(c: MetricCriterion, ctx: _Context, key: str) -> Answer:
    value = ctx.item.metrics.get(c.metric)
    if isinstance(value, dict):  # per-party figures (interruptions): the agent's
        value = value.get("agent")
    if value is None:
        return Answer(c.id, "na", f"not applicable: no {c.metric} measured", MEASURED)
    limits = (f"≤ {c.max:g}" if c.max is not None else "", f"≥ {c.min:g}" if c.min is not None else "")
    bounds = " and ".join(b for b in limits if b)
    ok = (c.max is None or value <= c.max) and (c.min is None or value >= c.min)
    text = f"{c.metric} = {value:g} (expected {bounds})"
    return Answer(c.id, "pass" if ok else "fail", text, MEASURED, (Evidence("metric", text),))


def _sentiment(c: SentimentCriterion, ctx: _Context, key: str) -> Answer:
    sentiment = ctx.item.sentiment
    if not sentiment:
        return Answer(c.id, "na", "not applicable: no sentiment measured", MEASURED)
    customer = (sentiment.get("parties") or {}).get("customer") or {}
    if c.check == "end_not_negative":
        end = customer.get("end")
        if end is None or not customer.get("turns"):
            return Answer(c.id, "na", "not applicable: the customer said nothing", MEASURED)
        text = f"the customer's closing sentiment is {end:+.2f}"
        return Answer(c.id, "fail" if end <= NEGATIVE_END else "pass", text, 0.8, (Evidence("sentiment", text),))
    recovered = sentiment.get("recovered")
    if recovered is None:
        return Answer(c.id, "na", "not applicable: no negative moment", MEASURED)
    text = "the customer recovered after the negative moment" if recovered else "the customer ended still negative"
    return Answer(c.id, "pass" if recovered else "fail", text, 0.8, (Evidence("sentiment", text),))


def _semantic(c: SemanticCriterion, ctx: _Context, key: str) -> Answer:
    """The closest turn (of the speaker, within the first turns) to any example, by cosine on the
    fast tier's sentence vectors: passes at or above the threshold."""
    scored = ctx.similarities(key, c)
    if not scored:
        return Answer(c.id, "na", "not applicable: no turn to compare", MEASURED)
    similarity, index = max(scored)
    turn = ctx.item.turns[index]
    evidence = (Evidence("turn", turn.text, ctx.seqs[index], turn.speaker, 0, len(turn.text)),)
    # Far from the threshold either way is surer than just past it.
    confidence = round(min(0.95, 0.5 + abs(similarity - c.threshold) * 2), 3)
    verdict: Value = "pass" if similarity >= c.threshold else "fail"
    # The closest turn is the evidence either way: what came nearest to the examples.
    explanation = f"closest turn {similarity:.2f} similar to an example (threshold {c.threshold:g})"
    return Answer(c.id, verdict, explanation, confidence, evidence)


def _sensitive(c: SensitiveCriterion, ctx: _Context, key: str) -> Answer:
    turns, marks = ctx.item.turns, ctx.item.marks
    found = []
    for index, turn_marks in enumerate(marks):
        turn = turns[index]
        if c.speaker != "any" and turn.speaker != c.speaker:
            continue
        for mark in turn_marks:
            if mark.get("entity") in c.entities and (c.recognizers is None or mark.get("recognizer") in c.recognizers):
                start, end = int(mark["start"]), int(mark["end"])
                found.append(Evidence("turn", turn.text[start:end], ctx.seqs[index], turn.speaker, start, end))
    said = f" by the {c.speaker}" if c.speaker != "any" else ""
    if found:
        kinds = ", ".join(sorted({e.text for e in found}))
        return Answer(c.id, "fail", f"{kinds} said{said} (redacted)", FOUND, tuple(found[:MAX_EVIDENCE]))
    return Answer(c.id, "pass", f"no {', '.join(c.entities)} said{said}", FOUND)


def _llm(c: LlmCriterion, ctx: _Context, key: str) -> Answer:
    judge = ctx.judge
    if judge is None:
        return Answer(c.id, "na", "not scored: the LLM judge is off (no endpoint configured)", 0.0)
    turns = ctx.item.turns
    try:
        verdict = judge.ask(c.question, [(t.speaker, t.text) for t in turns], c.model)
    except JudgeError as exc:
        return Answer(c.id, "na", f"not scored: {exc}", 0.0)
    evidence: tuple[Evidence, ...] = ()
    # The quote is kept as evidence only where it is really in the turn it names (or any turn).
    candidates = [verdict.turn] if verdict.turn is not None else list(range(len(turns)))
    for index in candidates:
        start = turns[index].text.find(verdict.quote) if verdict.quote else -1
        if start >= 0:
            end = start + len(verdict.quote)
            evidence = (Evidence("turn", verdict.quote, ctx.seqs[index], turns[index].speaker, start, end),)
            break
    value: Value = verdict.answer  # type: ignore[assignment]
    return Answer(c.id, value, f"LLM judge: {verdict.explanation}", DEFAULT_CONFIDENCE, evidence)


SCORERS: dict[str, Callable[[Any, _Context, str], Answer]] = {
    "phrase": _phrase,
    "sequence": _sequence,
    "metric": _metric,
    "sentiment": _sentiment,
    "semantic": _semantic,
    "sensitive": _sensitive,
    "llm": _llm,
}


class Scoring:
    """Scorecards compiled for scoring: one phrase matcher over every pattern they hold."""

    def __init__(self, scorecards: Sequence[Scorecard], *, judge: LlmJudge | None = None) -> None:
        self.scorecards = list(scorecards)
        self.judge = judge
        patterns: dict[str, str] = {}
        for card in self.scorecards:
            for c in card.criteria():
                key = f"{card.id}/{c.id}"
                specs: list[tuple[str, PhraseSpec]] = []
                if isinstance(c, PhraseCriterion):
                    specs.append((f"{key}/p", c))
                if isinstance(c, SequenceCriterion):
                    specs += [(f"{key}/first", c.first), (f"{key}/then", c.then)]
                if c.not_applicable_when is not None and c.not_applicable_when.said is not None:
                    specs.append((f"{key}/na", c.not_applicable_when.said))
                for prefix, spec in specs:
                    patterns.update({f"{prefix}/{i}": p for i, p in enumerate(spec.patterns)})
        self.matcher = PhraseMatcher(patterns)
        semantic = {
            f"{card.id}/{c.id}": c.examples
            for card in self.scorecards
            for c in card.criteria()
            if isinstance(c, SemanticCriterion)
        }
        self._embed: Callable[[list[str]], Any] | None = None
        self._examples: dict[str, Any] = {}
        if semantic:
            # Loaded only when a scorecard has a semantic criterion: the fast tier, built once.
            from signalroom.pipeline.embed import make_embedder

            embedder = make_embedder("fast")
            self._embed = lambda texts: embedder.encode(texts)
            self._examples = {key: self._embed(list(examples)) for key, examples in semantic.items()}

    def score(self, item: QaInput) -> list[ScoreResult]:
        """The result of every scorecard that applies to the interaction."""
        ctx = _Context(item, self.matcher.find(item.turns))
        ctx.embed, ctx.examples, ctx.judge = self._embed, self._examples, self.judge
        out = []
        for card in self.scorecards:
            if not _applies(card.applies_to, item):
                continue
            ctx.card, ctx.criteria = card.id, {c.id: c for c in card.criteria()}
            answers = []
            for c in card.criteria():
                key = f"{card.id}/{c.id}"
                if not _applies(c.applies_to, item):
                    answers.append(Answer(c.id, "na", "not applicable here (applies_to)", MEASURED))
                    continue
                why = _not_applicable(c.not_applicable_when, item, ctx, key)
                answers.append(Answer(c.id, "na", why, MEASURED) if why else SCORERS[c.kind](c, ctx, key))
            out.append(_result(card, answers))
        return out

    def corrected(self, result: ScoreResult, corrections: dict[str, Value]) -> ScoreResult:
        """The result with answers a reviewer corrected on dispute (criterion → value), rescored."""
        card = next(c for c in self.scorecards if c.id == result.scorecard_id)
        answers = [
            replace(a, value=corrections[a.criterion_id], explanation=f"{a.explanation} (corrected on dispute)")
            if a.criterion_id in corrections else a
            for a in result.answers
        ]  # fmt: skip
        return _result(card, answers)


def _result(card: Scorecard, answers: list[Answer]) -> ScoreResult:
    weights = {c.id: c.weight for c in card.criteria()}
    earned = sum(weights[a.criterion_id] for a in answers if a.value == "pass")
    potential = sum(weights[a.criterion_id] for a in answers if a.value != "na")
    failed = {a.criterion_id for a in answers if a.value == "fail"}
    auto = any(c.auto_fail and c.id in failed for c in card.criteria())
    return ScoreResult(card.id, card.version, tuple(answers), earned, potential, auto)
