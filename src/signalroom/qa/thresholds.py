"""The calibration report (docs/qa.md#human-evaluations-and-calibration): auto-QA against the answers
calibration sessions agreed, per criterion, and how its thresholds would change — the value that
agrees best with the agreed answers, from the metric values and sentiment the answers were scored
from. A suggestion only: no scorecard is ever changed here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from signalroom.qa.agreement import Agreement, two_raters
from signalroom.qa.engine import NEGATIVE_END
from signalroom.qa.evaluations import criteria_in_use
from signalroom.store import qa_evaluations as ev_store
from signalroom.store.qa_evaluations import ItemKey
from signalroom.store.warehouse import Store

MAX_MISSES = 10


@dataclass(frozen=True)
class Suggestion:
    parameter: str  # max, min, threshold (semantic) or end_threshold (sentiment)
    current: float | None
    suggested: float | None  # None: nothing to suggest (see note)
    items: int  # agreed pass/fail answers with a measured value
    agree_current: int | None  # of them, how many the current value answers alike
    agree_suggested: int | None
    note: str


@dataclass(frozen=True)
class CriterionCalibration:
    scorecard_id: str
    criterion_id: str
    kind: str
    agreed: int  # agreed answers
    scored: int  # of them, with an auto-QA answer
    agreement: Agreement  # auto-QA against the agreed answers
    false_passes: int  # auto-QA passed, the session agreed fail
    false_fails: int  # auto-QA failed, the session agreed pass
    other_mismatches: int  # one of them not applicable, the other not
    thresholds: list[Suggestion] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)  # phrase/sequence: where the patterns disagree

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "agreement": self.agreement.to_dict()}


def best_threshold(
    values: list[tuple[float, bool]], current: float, passes: Callable[[float, float], bool], parameter: str
) -> Suggestion:
    """The threshold that answers most of (value, agreed pass) alike. Candidates are the current value
    and the midpoints between neighbouring values seen (any value between two neighbours answers
    alike); the current value is kept when it is among the best, else the best candidate nearest to
    it is suggested."""
    if not values:
        return Suggestion(parameter, current, None, 0, None, None, "no agreed pass or fail with a measured value")
    seen = sorted({v for v, _ in values})
    candidates = [current] + [round((a + b) / 2, 6) for a, b in pairwise(seen)]
    candidates += [seen[0] - 1, seen[-1] + 1, seen[0], seen[-1]]

    def score(t: float) -> int:
        return sum(passes(v, t) == ok for v, ok in values)

    now = score(current)
    best = max(score(t) for t in candidates)
    if now == best:
        return Suggestion(parameter, current, current, len(values), now, now, "the current value agrees best")
    chosen = min((t for t in candidates if score(t) == best), key=lambda t: (abs(t - current), t))
    if chosen < seen[0] or chosen > seen[-1]:
        side = "below" if chosen < seen[0] else "above"
        note = f"agreement is best with a value {side} every value seen ({seen[0]:g}…{seen[-1]:g})"
        return Suggestion(parameter, current, None, len(values), now, best, note)
    note = f"{best} of {len(values)} agreed answers alike instead of {now}: a suggestion, the scorecard is unchanged"
    return Suggestion(parameter, current, chosen, len(values), now, best, note)


def _metric_value(result: dict[str, Any] | None, metric: str) -> float | None:
    value = (result or {}).get(metric)
    if isinstance(value, dict):  # per-party figures: the agent's, as the scorer reads them
        value = value.get("agent")
    return float(value) if isinstance(value, int | float) else None


def _suggestions(store: Store, criterion: Any, agreed: dict[ItemKey, str]) -> list[Suggestion]:
    decided = {k: a == "pass" for k, a in agreed.items() if a in ("pass", "fail")}
    if criterion.kind == "metric":
        results = ev_store.stage_results(store, "metrics", [k[:2] for k in decided])
        values = [(v, ok) for k, ok in decided.items() if (v := _metric_value(results.get(k[:2]), criterion.metric))
                  is not None]  # fmt: skip
        lo, hi = criterion.min, criterion.max
        out = []
        if hi is not None:
            out.append(best_threshold(values, hi, lambda v, t: v <= t and (lo is None or v >= lo), "max"))
        if lo is not None:
            out.append(best_threshold(values, lo, lambda v, t: v >= t and (hi is None or v <= hi), "min"))
        return out
    if criterion.kind == "sentiment" and criterion.check == "end_not_negative":
        results = ev_store.stage_results(store, "sentiment", [k[:2] for k in decided])
        values = []
        for k, ok in decided.items():
            end = (((results.get(k[:2]) or {}).get("parties") or {}).get("customer") or {}).get("end")
            if isinstance(end, int | float):
                values.append((float(end), ok))
        return [best_threshold(values, NEGATIVE_END, lambda v, t: v > t, "end_threshold")]
    if criterion.kind == "semantic":
        note = "semantic answers do not store their similarity as a number yet: nothing to compute from"
        return [Suggestion("threshold", criterion.threshold, None, len(decided), None, None, note)]
    return []


def calibration_report(store: Store, scorecard_id: str | None = None) -> list[CriterionCalibration]:
    calibrated = ev_store.calibrations(store, scorecard_id)
    auto = ev_store.auto_answers(store, [c.key for c in calibrated])
    human: dict[ItemKey, list[dict[str, Any]]] = {}
    for e in ev_store.evaluations(store, scorecard_id):
        human.setdefault(e.key, []).append({"evaluator": e.evaluator, "answer": e.answer, "comment": e.comment})
    cards = criteria_in_use(store)
    out = []
    for card_id, crit_id in sorted({c.key[2:] for c in calibrated}):
        mine = [c for c in calibrated if c.key[2:] == (card_id, crit_id)]
        card = cards.get(card_id)
        criterion = next((c for c in card.criteria() if c.id == crit_id), None) if card else None
        pairs = [(auto[c.key].value, c.answer) for c in mine if c.key in auto]
        fp = sum(a == "pass" and b == "fail" for a, b in pairs)
        ff = sum(a == "fail" and b == "pass" for a, b in pairs)
        other = sum(a != b for a, b in pairs) - fp - ff
        kind = criterion.kind if criterion else "unknown (not in a scorecard in use)"
        thresholds = _suggestions(store, criterion, {c.key: c.answer for c in mine}) if criterion else []
        misses = []
        if kind in ("phrase", "sequence"):
            for c in mine:
                a = auto.get(c.key)
                if a is not None and a.value != c.answer and {a.value, c.answer} == {"pass", "fail"}:
                    miss = "false fail" if a.value == "fail" else "false pass"
                    misses.append({"source": c.key[0], "interaction_id": c.key[1], "miss": miss, "auto": a.value,
                                   "agreed": c.answer, "explanation": a.explanation, "evidence": a.evidence,
                                   "note": c.note, "comments": human.get(c.key, [])})  # fmt: skip
        vs = two_raters(pairs, "auto", "agreed")
        out.append(CriterionCalibration(card_id, crit_id, kind, len(mine), len(pairs), vs, fp, ff, other,
                                        thresholds, misses[:MAX_MISSES]))  # fmt: skip
    return out
