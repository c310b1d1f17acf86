"""One ranked list (docs/signals.md#the-ranked-list): the findings of every detector and driver
analysis merged into signals, one per phenomenon, scored, filtered by minimum support and routed.

Findings about the same customer need are one signal; findings about no need (a phrase or a new
cluster spread over several reasons) join another such finding when they share evidence
interactions, and otherwise stand alone. A signal's numbers are not sums over its findings — the
detectors count the same contacts several ways — but the largest of each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from signalroom.actions.routing import Route, RoutingRules, Subject, route
from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs

_EVIDENCE = 10


@dataclass(frozen=True, kw_only=True)
class RankConfig:
    min_support: int = 8  # contacts behind a machine-detected signal
    min_flags: int = 2  # advisors' flags that keep a signal the detectors found too little of (or none)
    cost_per_contact: float | None = None

    def __post_init__(self) -> None:
        if self.min_support < 1 or self.min_flags < 1:
            raise ValueError("minimum support and minimum flags must be at least 1")
        if self.cost_per_contact is not None and self.cost_per_contact < 0:
            raise ValueError(f"the cost per contact cannot be negative, got {self.cost_per_contact}")


@dataclass(kw_only=True)
class Signal:
    fingerprint: str
    title: str
    kind: str  # need | phrase | cluster | flags
    reasons: list[int]
    findings: list[Finding]
    route: Route | None = None
    score: float = 0.0
    rank: int = 0
    signal_id: int | None = None  # once stored
    first_detected_before: date | None = None  # from earlier runs, once stored
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def machine(self) -> list[Finding]:
        return [f for f in self.findings if f.detector != "advisor"]

    @property
    def detectors(self) -> list[str]:
        return list(dict.fromkeys(f.detector for f in self.findings))

    @property
    def first_detected(self) -> date:
        first = min(f.first_detected for f in self.findings)
        return min(first, self.first_detected_before) if self.first_detected_before else first

    @property
    def last_detected(self) -> date:
        return max(f.last_detected for f in self.findings)

    @property
    def advisor_flags(self) -> int:
        return sum(f.support for f in self.findings if f.detector == "advisor")

    @property
    def support(self) -> int:
        return max((f.support for f in self.machine), default=0) + self.advisor_flags

    @property
    def customers(self) -> int:
        return max((f.customers for f in self.findings), default=0)

    @property
    def extra_contacts(self) -> float:
        return max((f.extra_contacts for f in self.findings), default=0.0)

    @property
    def extra_repeat_contacts(self) -> float:
        return max((f.extra_repeat_contacts for f in self.findings), default=0.0)

    def cost(self, per_contact: float | None) -> float | None:
        return None if per_contact is None else (self.extra_contacts + self.extra_repeat_contacts) * per_contact

    @property
    def phrases(self) -> list[str]:
        return [f.phrase for f in self.findings if f.phrase]

    @property
    def series(self) -> list[dict[str, Any]]:
        """The series to chart: the volume detector's when it found it (contacts per day), else the
        strongest finding's."""
        for finding in sorted(self.machine, key=lambda f: (f.detector != "volume", f.p_value)):
            if finding.series:
                return finding.series
        return []

    @property
    def evidence(self) -> list[str]:
        ordered = sorted(self.findings, key=lambda f: f.p_value)
        return list(dict.fromkeys(e for f in ordered for e in f.evidence))[:_EVIDENCE]

    def to_dict(self, cost_per_contact: float | None = None) -> dict[str, Any]:
        return {
            "signal_id": self.signal_id, "rank": self.rank, "title": self.title, "kind": self.kind,
            "fingerprint": self.fingerprint, "reasons": self.reasons, "detectors": self.detectors,
            "first_detected": self.first_detected.isoformat(), "last_detected": self.last_detected.isoformat(),
            "score": round(self.score, 2), "support": self.support, "affected_customers": self.customers,
            "extra_contacts": round(self.extra_contacts, 1),
            "extra_repeat_contacts": round(self.extra_repeat_contacts, 1),
            "cost": None if (c := self.cost(cost_per_contact)) is None else round(c, 2),
            "advisor_flags": self.advisor_flags,
            "owner_function": self.route.owner_function if self.route else None,
            "owner": self.route.owner if self.route else None,
            "routing_rule": self.route.rule if self.route else None,
            "findings": [f.to_dict() for f in self.findings], "series": self.series, "evidence": self.evidence,
        }  # fmt: skip


def score(signal: Signal) -> float:
    """Contacts the phenomenon costs beyond the usual (extra contacts and extra repeat contacts),
    and each advisor's flag as one: the same currency as the impact and the cost."""
    return signal.extra_contacts + signal.extra_repeat_contacts + signal.advisor_flags


def merge(findings: Iterable[Finding], needs: Needs, reason_names: dict[int, str]) -> list[Signal]:
    """Findings about the same phenomenon as one signal (module docstring)."""
    by_key: dict[str, Signal] = {}
    loose: list[Signal] = []
    for finding in findings:
        if finding.need is not None:
            name = reason_names.get(finding.need, needs.label(finding.need))
            key = f"need:{name}"
            signal = by_key.get(key)
            if signal is None:
                signal = by_key[key] = Signal(
                    fingerprint=key, title=needs.label(finding.need), kind="need",
                    reasons=needs.reasons(finding.need), findings=[],
                )  # fmt: skip
            signal.findings.append(finding)
            continue
        evidence = set(finding.evidence)
        joined = next((s for s in loose if evidence & set(s.evidence)), None)
        if joined is not None:
            joined.findings.append(finding)
            continue
        kind = {"phrase": "phrase", "new_cluster": "cluster", "advisor": "flags"}.get(finding.detector, "need")
        fingerprint = f"{kind}:{finding.subject.lower()}"
        loose.append(Signal(fingerprint=fingerprint, title=finding.subject, kind=kind,
                            reasons=list(finding.reasons), findings=[finding]))  # fmt: skip
    return [*by_key.values(), *loose]


def rank(
    signals: list[Signal],
    rules: RoutingRules,
    reason_names: dict[int, str],
    config: RankConfig,
    *,
    route_with: Callable[[RoutingRules, Subject], Route] = route,
) -> list[Signal]:
    """Signals with enough support, scored, ranked (1 = act first) and routed."""
    kept = [
        s for s in signals
        if max((f.support for f in s.machine), default=0) >= config.min_support or s.advisor_flags >= config.min_flags
    ]  # fmt: skip
    for signal in kept:
        signal.score = score(signal)
        subject = Subject(
            title=signal.title, kind=signal.kind, detectors=signal.detectors, phrases=signal.phrases,
            reason_labels=[reason_names.get(r, "") for r in signal.reasons],
        )  # fmt: skip
        signal.route = route_with(rules, subject)
    kept.sort(key=lambda s: (-s.score, min(f.p_value for f in s.findings), s.fingerprint))
    for position, signal in enumerate(kept, start=1):
        signal.rank = position
    return kept
