"""Agreement per criterion and calibration sessions (docs/qa.md#human-evaluations-and-calibration):
how far human evaluators agree with each other and with auto-QA, which interactions disagree most
(the ones worth a calibration session), and keeping the answer the session agreed."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from signalroom.qa.agreement import Agreement, agreement, two_raters
from signalroom.qa.evaluations import EvaluationError, criteria_in_use, normalise_answer, resolve_criterion
from signalroom.store import qa_evaluations as ev_store
from signalroom.store.analysis_reads import find_interaction_sources
from signalroom.store.qa_evaluations import ItemKey
from signalroom.store.warehouse import Store

AUTO = "auto-QA"


@dataclass(frozen=True)
class Comparison:
    against: str  # an evaluator, "all humans", "majority" or "calibrated"
    agreement: Agreement

    def to_dict(self) -> dict[str, Any]:
        return {"against": self.against, **self.agreement.to_dict()}


@dataclass(frozen=True)
class CriterionAgreement:
    scorecard_id: str
    criterion_id: str
    evaluations: int
    interactions: int
    humans: Agreement  # every evaluator together
    human_pairs: list[tuple[str, str, Agreement]]
    auto: list[Comparison]  # auto-QA against each evaluator, all of them, the majority, the agreed answers

    def to_dict(self) -> dict[str, Any]:
        return {
            "scorecard_id": self.scorecard_id, "criterion_id": self.criterion_id, "evaluations": self.evaluations,
            "interactions": self.interactions, "humans": self.humans.to_dict(),
            "human_pairs": [{"a": a, "b": b, **g.to_dict()} for a, b, g in self.human_pairs],
            "auto": [c.to_dict() for c in self.auto],
        }  # fmt: skip


def majority(answers: dict[str, str]) -> str | None:
    """The answer more than half of two or more evaluators gave, if one did."""
    if len(answers) < 2:
        return None
    answer, n = Counter(answers.values()).most_common(1)[0]
    return answer if n * 2 > len(answers) else None


def _by_item(store: Store, scorecard_id: str | None, criterion_id: str | None) -> dict[ItemKey, dict[str, str]]:
    items: dict[ItemKey, dict[str, str]] = {}
    for e in ev_store.evaluations(store, scorecard_id, criterion_id):
        items.setdefault(e.key, {})[e.evaluator] = e.answer
    return items


def criterion_agreement(
    store: Store, scorecard_id: str | None = None, criterion_id: str | None = None
) -> list[CriterionAgreement]:
    items = _by_item(store, scorecard_id, criterion_id)
    agreed = {c.key: c.answer for c in ev_store.calibrations(store, scorecard_id, criterion_id)}
    auto = ev_store.auto_answers(store, sorted(set(items) | set(agreed)))
    criteria = sorted({k[2:] for k in items} | {k[2:] for k in agreed})
    out = []
    for card, crit in criteria:
        mine = {k: by for k, by in items.items() if k[2:] == (card, crit)}
        evaluators = sorted({e for by in mine.values() for e in by})
        pairs = []
        for a, b in combinations(evaluators, 2):
            shared = {k: {a: by[a], b: by[b]} for k, by in mine.items() if a in by and b in by}
            if shared:
                pairs.append((a, b, agreement(shared)))
        scored = {k: auto[k].value for k in mine if k in auto}
        comparisons = [
            Comparison(e, two_raters([(scored[k], by[e]) for k, by in mine.items() if k in scored and e in by]))
            for e in evaluators
        ]
        every = [(scored[k], answer) for k, by in mine.items() if k in scored for answer in by.values()]
        comparisons.append(Comparison("all humans", two_raters(every)))
        most = [(scored[k], m) for k, by in mine.items() if k in scored and (m := majority(by)) is not None]
        comparisons.append(Comparison("majority", two_raters(most)))
        calibrated = [(auto[k].value, a) for k, a in agreed.items() if k[2:] == (card, crit) and k in auto]
        comparisons.append(Comparison("calibrated", two_raters(calibrated)))
        n = sum(len(by) for by in mine.values())
        out.append(CriterionAgreement(card, crit, n, len(mine), agreement(mine), pairs, comparisons))
    return out


@dataclass(frozen=True)
class Pick:
    source: str
    interaction_id: str
    scorecard_id: str
    criterion_id: str
    disagreement: float  # human + auto disagreement, 0 to 2
    human_disagreement: float  # share of evaluator pairs that differ
    auto_disagreement: float | None  # share of evaluators auto-QA differs from; None when not scored
    auto: dict[str, Any] | None  # value, confidence, explanation, evidence
    humans: list[dict[str, Any]]  # evaluator, answer, comment, evaluated_at

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def pick(
    store: Store, *, criterion_id: str | None = None, scorecard_id: str | None = None, size: int = 10
) -> list[Pick]:
    """The interaction × criterion items with the most disagreement that are not calibrated yet:
    ranked by human disagreement (the share of evaluator pairs that differ) plus auto disagreement
    (the share of evaluators auto-QA differs from), then by more evaluators, then by a more
    confident auto-QA answer (a confident answer humans contest is the most telling)."""
    evaluations = ev_store.evaluations(store, scorecard_id, criterion_id)
    done = {c.key for c in ev_store.calibrations(store, scorecard_id, criterion_id)}
    grouped: dict[ItemKey, list[ev_store.Evaluation]] = {}
    for e in evaluations:
        if e.key not in done:
            grouped.setdefault(e.key, []).append(e)
    auto = ev_store.auto_answers(store, sorted(grouped))
    picks = []
    for key, evs in grouped.items():
        pairs = list(combinations([e.answer for e in evs], 2))
        human = sum(a != b for a, b in pairs) / len(pairs) if pairs else 0.0
        machine = auto.get(key)
        off = sum(e.answer != machine.value for e in evs) / len(evs) if machine else None
        shown = {"value": machine.value, "confidence": machine.confidence, "explanation": machine.explanation,
                 "evidence": machine.evidence} if machine else None  # fmt: skip
        people = [{"evaluator": e.evaluator, "answer": e.answer, "comment": e.comment,
                   "evaluated_at": e.evaluated_at} for e in evs]  # fmt: skip
        picks.append(Pick(*key, round(human + (off or 0.0), 6), round(human, 6), off, shown, people))
    picks = [p for p in picks if p.disagreement > 0]
    picks.sort(key=lambda p: (-p.disagreement, -len(p.humans), -(p.auto or {}).get("confidence", 0.0),
                              p.source, p.interaction_id, p.scorecard_id, p.criterion_id))  # fmt: skip
    return picks[:size]


@dataclass(frozen=True)
class Recorded:
    source: str
    interaction_id: str
    scorecard_id: str
    criterion_id: str
    answer: str
    agreed_by: str
    note: str | None
    replaced: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record(
    store: Store,
    interaction_id: str,
    criterion: str,
    answer: str,
    *,
    by: str,
    note: str | None = None,
    scorecard: str | None = None,
    source: str | None = None,
) -> Recorded:
    """Keep the answer a calibration session agreed (replacing an earlier one for the same item)."""
    value = normalise_answer(answer)
    if value is None:
        raise EvaluationError(f"bad answer {answer!r}: expected pass, fail or na (or yes/no, 1/0, true/false)")
    if not by.strip():
        raise EvaluationError("--by must name who agreed")
    sources = find_interaction_sources(store, interaction_id)
    if source is not None and source not in sources:
        raise EvaluationError(f"unknown interaction {interaction_id!r} in source {source!r}")
    if not sources:
        raise EvaluationError(f"unknown interaction {interaction_id!r}")
    if source is None and len(sources) > 1:
        raise EvaluationError(f"interaction {interaction_id!r} is in several sources ({', '.join(sources)}): name one")
    card, crit = resolve_criterion(criteria_in_use(store), criterion, scorecard)
    key = (source or sources[0], interaction_id, card, crit)
    replaced = ev_store.save_calibration(store, key, value, by.strip(), note)
    return Recorded(*key, value, by.strip(), note, replaced)
