"""Compliance nudges (docs/assist.md#compliance-nudges): the scorecard criteria marked ``realtime``,
checked turn by turn while they can still be met. Each nudge is told once when it opens, and again
when it closes: met (the agent did it) or missed (too late).

The phrases are those of the scorecard, read the way the scoring reads them (speaker, negation,
the first N turns or seconds), so a nudge and the score after the call never disagree on what
counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from signalroom.qa.phrases import PhraseMatch, PhraseMatcher, TurnText
from signalroom.qa.scorecard import Applicability, PhraseCriterion, PhraseSpec, Scorecard, SequenceCriterion

Status = Literal["open", "met", "missed"]


@dataclass(frozen=True)
class Nudge:
    scorecard: str
    criterion: str
    name: str
    message: str
    status: Status
    at_ms: int  # the interaction's clock when it changed
    evidence: str | None = None  # what was said that opened or closed it
    auto_fail: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Rule:
    scorecard: Scorecard
    criterion: PhraseCriterion | SequenceCriterion

    @property
    def key(self) -> str:
        return f"{self.scorecard.id}/{self.criterion.id}"


def _applies(rule: Applicability | None, channel: str, queue: str | None, direction: str | None) -> bool:
    if rule is None:
        return True
    if rule.channels is not None and channel not in rule.channels:
        return False
    if rule.queues is not None and queue not in rule.queues:
        return False
    # Reasons are not known at the start of a call: a criterion kept to some reasons still runs.
    return rule.direction is None or (direction or "inbound") == rule.direction


class LiveCompliance:
    """The real-time criteria of some scorecards, compiled once and shared by every session."""

    def __init__(self, scorecards: Sequence[Scorecard]) -> None:
        self.rules: list[_Rule] = []
        patterns: dict[str, str] = {}
        for card in scorecards:
            for criterion in card.criteria():
                if criterion.realtime is None or not isinstance(criterion, PhraseCriterion | SequenceCriterion):
                    continue
                rule = _Rule(card, criterion)
                self.rules.append(rule)
                for part, spec in self._specs(criterion).items():
                    for i, pattern in enumerate(spec.patterns):
                        patterns[f"{rule.key}/{part}/{i}"] = pattern
        self.matcher = PhraseMatcher(patterns)

    @staticmethod
    def _specs(criterion: PhraseCriterion | SequenceCriterion) -> dict[str, PhraseSpec]:
        if isinstance(criterion, PhraseCriterion):
            return {"p": criterion}
        specs = {"first": criterion.first, "then": criterion.then}
        if criterion.realtime is not None and criterion.realtime.when is not None:
            specs["when"] = criterion.realtime.when
        return specs

    def session(
        self, *, channel: str, queue: str | None, direction: str | None, transferred_in: bool
    ) -> ComplianceState:
        active = [
            rule
            for rule in self.rules
            if _applies(rule.scorecard.applies_to, channel, queue, direction)
            and _applies(rule.criterion.applies_to, channel, queue, direction)
            and not self._not_applicable(rule, channel, queue, transferred_in)
        ]
        return ComplianceState(self, active)

    @staticmethod
    def _not_applicable(rule: _Rule, channel: str, queue: str | None, transferred_in: bool) -> bool:
        na = rule.criterion.not_applicable_when
        if na is None:
            return False
        return bool(
            (na.channels is not None and channel in na.channels)
            or (na.queues is not None and queue in na.queues)
            or (na.transferred_in and transferred_in)
        )


@dataclass
class ComplianceState:
    """One session's real-time criteria: which are met, which nudges are open."""

    compliance: LiveCompliance
    rules: list[_Rule]
    turns: int = 0
    speaker_turns: dict[str, int] = field(default_factory=dict)
    met: set[str] = field(default_factory=set)  # phrase criteria said, sequence criteria whose first was said
    opened: dict[str, Nudge] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)

    def turn(self, speaker: str, text: str, clock_ms: int) -> list[Nudge]:
        """A turn was said at ``clock_ms`` into the interaction: the nudges it opens or closes."""
        index = self.turns
        self.turns += 1
        self.speaker_turns[speaker] = self.speaker_turns.get(speaker, 0) + 1
        if not self.rules or not text.strip():
            return self.clock(clock_ms)
        found = self.compliance.matcher.find([TurnText(speaker, text, clock_ms)])
        changed: list[Nudge] = []
        for rule in self.rules:
            if rule.key in self.closed:
                continue
            c = rule.criterion
            if isinstance(c, PhraseCriterion):
                hit = self._hit(found, f"{rule.key}/p", c, speaker, index, clock_ms)
                if hit is not None:
                    self.met.add(rule.key)
                    changed += self._close(rule, "met", clock_ms, hit.text)
            else:
                first = self._hit(found, f"{rule.key}/first", c.first, speaker, index, clock_ms)
                if first is not None:
                    self.met.add(rule.key)
                    changed += self._close(rule, "met", clock_ms, first.text)
                    continue
                if rule.key in self.met or rule.key in self.opened:
                    continue
                live = c.realtime
                trigger = self._hit(found, f"{rule.key}/then", c.then, speaker, index, clock_ms)
                if trigger is None and live is not None and live.when is not None:
                    trigger = self._hit(found, f"{rule.key}/when", live.when, speaker, index, clock_ms)
                if trigger is not None:
                    changed.append(self._open(rule, clock_ms, trigger.text))
        return changed + self.clock(clock_ms)

    def clock(self, clock_ms: int) -> list[Nudge]:
        """The interaction's clock reached ``clock_ms``: phrase nudges that fall due or run out."""
        changed: list[Nudge] = []
        for rule in self.rules:
            c = rule.criterion
            if not isinstance(c, PhraseCriterion) or rule.key in self.met or rule.key in self.closed:
                continue
            live = c.realtime
            assert live is not None and live.after_seconds is not None
            too_late = (c.within_seconds is not None and clock_ms > c.within_seconds * 1000) or (
                c.within_turns is not None and self.turns >= c.within_turns
            )
            if too_late:
                if rule.key in self.opened:
                    changed += self._close(rule, "missed", clock_ms, None)
                else:
                    self.closed.add(rule.key)
            elif rule.key not in self.opened and clock_ms >= live.after_seconds * 1000:
                changed.append(self._open(rule, clock_ms, None))
        return changed

    @property
    def open_nudges(self) -> list[Nudge]:
        return [n for key, n in self.opened.items() if key not in self.closed]

    def _hit(
        self, found: dict[str, list[PhraseMatch]], key: str, spec: PhraseSpec, speaker: str, index: int, clock_ms: int
    ) -> PhraseMatch | None:
        if spec.speaker != "any" and speaker != spec.speaker:
            return None
        if spec.within_turns is not None and index >= spec.within_turns:
            return None
        if spec.within_seconds is not None and clock_ms > spec.within_seconds * 1000:
            return None
        for i in range(len(spec.patterns)):
            for match in found.get(f"{key}/{i}", ()):
                if spec.count_negated or not match.negated:
                    return match
        return None

    def _open(self, rule: _Rule, clock_ms: int, evidence: str | None) -> Nudge:
        nudge = self._nudge(rule, "open", clock_ms, evidence)
        self.opened[rule.key] = nudge
        return nudge

    def _close(self, rule: _Rule, status: Status, clock_ms: int, evidence: str | None) -> list[Nudge]:
        self.closed.add(rule.key)
        if rule.key not in self.opened:
            return []  # met before it was ever due: nothing to tell
        return [self._nudge(rule, status, clock_ms, evidence)]

    @staticmethod
    def _nudge(rule: _Rule, status: Status, clock_ms: int, evidence: str | None) -> Nudge:
        live = rule.criterion.realtime
        assert live is not None
        return Nudge(
            rule.scorecard.id,
            rule.criterion.id,
            rule.criterion.name,
            live.nudge,
            status,
            clock_ms,
            evidence,
            rule.criterion.auto_fail,
        )
