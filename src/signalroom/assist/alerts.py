"""Supervisor alerts (docs/assist.md#supervisor-alerts): escalation risk seen in a live session —
the customer's sentiment collapsing, a legal or regulator threat, an intent to cancel — each told
once per session, with the words that raised it.

The threat and cancellation phrases use the QA phrase language (docs/qa-phrases.md), so "I'm not
going to cancel" does not raise an alert; sentiment is the pipeline's own scorer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from signalroom.pipeline.sentiment import SentimentScorer
from signalroom.qa.phrases import PhraseMatcher, TurnText

Kind = Literal["sentiment_collapse", "legal_threat", "cancel_intent"]

PHRASES: dict[str, tuple[str, ...]] = {
    "legal_threat": (
        "(solicitor|solicitors|lawyer|lawyers|attorney)",
        "legal action",
        "(sue|suing) (you|your|the)",
        "take * to court",
        "small claims",
        "(ombudsman|regulator|fca|ofcom|ofgem|cfpb|trading standards|bbb)",
        "(report|complain) NEAR:4 (regulator|ombudsman|authorities)",
    ),
    "cancel_intent": (
        # Quoted words match exactly: "I cancelled the subscription" is news, not an intent.
        '(want|wanting|going|like|need|trying) to ("cancel"|"close"|"terminate"|"leave"|"switch")',
        '("cancel"|"close"|"terminate") my (account|contract|subscription|membership|service|plan|policy)',
        "(switch|switching|move|moving) NEAR:3 (another|different|competitor)",
        "take my (business|money|custom) elsewhere",
        "(i'm|i am) (leaving|done with) (you|this bank|your)",
    ),
}
MESSAGES = {
    "legal_threat": "The customer mentions legal action or a regulator",
    "cancel_intent": "The customer intends to cancel or leave",
    "sentiment_collapse": "The customer's sentiment has collapsed",
}
# A customer turn at or below this, after the customer had been at or above START_LEVEL, or two
# in a row at or below it: the conversation is going badly, not just one sharp word.
COLLAPSE_LEVEL = -0.5
START_LEVEL = 0.0
DROP = 0.6


@dataclass(frozen=True)
class Alert:
    kind: Kind
    message: str
    at_ms: int
    evidence: str
    score: float | None = None  # the sentiment that raised a collapse

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AlertRules:
    """The alert phrases compiled once, and the sentiment scorer; shared by every session."""

    def __init__(self, *, sentiment: SentimentScorer | None = None) -> None:
        self.sentiment = sentiment or SentimentScorer()
        self.matcher = PhraseMatcher(
            {f"{kind}/{i}": pattern for kind, patterns in PHRASES.items() for i, pattern in enumerate(patterns)}
        )

    def session(self) -> AlertState:
        return AlertState(self)


@dataclass
class AlertState:
    rules: AlertRules
    raised: set[str] = field(default_factory=set)
    scores: list[float] = field(default_factory=list)  # the customer's turns

    def turn(self, speaker: str, text: str, clock_ms: int) -> list[Alert]:
        if speaker != "customer" or not text.strip():
            return []
        alerts: list[Alert] = []
        found = self.rules.matcher.find([TurnText(speaker, text, clock_ms)])
        for kind in ("legal_threat", "cancel_intent"):
            if kind in self.raised:
                continue
            hits = [m for key, ms in found.items() if key.startswith(kind + "/") for m in ms if not m.negated]
            if hits:
                self.raised.add(kind)
                alerts.append(Alert(kind, MESSAGES[kind], clock_ms, hits[0].text))
        score = self.rules.sentiment.score(text, "customer")
        previous = self.scores[-1] if self.scores else None
        self.scores.append(score)
        if "sentiment_collapse" not in self.raised and score <= COLLAPSE_LEVEL:
            best = max(self.scores[:-1], default=None)
            fell = best is not None and best >= START_LEVEL and best - score >= DROP
            if fell or (previous is not None and previous <= COLLAPSE_LEVEL):
                self.raised.add("sentiment_collapse")
                message = MESSAGES["sentiment_collapse"]
                alerts.append(Alert("sentiment_collapse", message, clock_ms, text[:200], round(score, 3)))
        return alerts
