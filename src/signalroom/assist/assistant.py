"""What every live session shares (docs/assist.md): the live reason classifier, the suggester, the
real-time scorecard criteria and the alert rules — learned from the warehouse once, then read by
every session without locks (none of them changes after it is built)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from signalroom.assist.alerts import AlertRules
from signalroom.assist.live_reason import LiveReasonClassifier
from signalroom.assist.nudges import LiveCompliance
from signalroom.assist.resolutions import mine
from signalroom.assist.types import Article, PastResolution, Suggestion
from signalroom.qa.scorecard import Scorecard, default_scorecard_paths, load_scorecard
from signalroom.store import assist_reads
from signalroom.store.warehouse import Store

log = logging.getLogger(__name__)

# The most recent interactions learned from: enough for every reason, bounded for start-up time.
REASON_EXAMPLES = 50_000
PAST_RESOLUTIONS = 20_000


class SuggesterLike(Protocol):
    def suggest(
        self, turns: Sequence[tuple[str, str]], *, collection: str | None = None, reason: str | None = None, k: int = 3
    ) -> list[Suggestion]: ...


@dataclass
class Assistant:
    reasons: LiveReasonClassifier
    suggester: SuggesterLike
    compliance: LiveCompliance
    alerts: AlertRules
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        articles: Sequence[Article] = (),
        past: Sequence[PastResolution] = (),
        reason_examples: Sequence[tuple[str, int]] = (),
        labels: dict[int, str] | None = None,
        scorecards: Sequence[Scorecard] | None = None,
    ) -> Assistant:
        from signalroom.assist.suggest import Suggester

        began = time.perf_counter()
        reasons = LiveReasonClassifier().fit(
            [t for t, _ in reason_examples], [r for _, r in reason_examples], labels or {}
        )
        suggester = Suggester().fit(list(articles), list(past))
        cards = list(scorecards) if scorecards is not None else [load_scorecard(p) for p in default_scorecard_paths()]
        compliance = LiveCompliance(cards)
        stats = {
            "articles": len(articles),
            "past_resolutions": len(past),
            "reason_examples": reasons.examples_,
            "live_reasons": bool(reasons.fitted_),
            "realtime_criteria": [f"{r.scorecard.id}/{r.criterion.id}" for r in compliance.rules],
            "build_s": round(time.perf_counter() - began, 3),
        }
        return cls(reasons, suggester, compliance, AlertRules(), stats)

    @classmethod
    def from_store(cls, store: Store) -> Assistant:
        """Learn from the warehouse: its knowledge base, its resolved conversations, its reasons and
        the scorecards in use (the shipped ones when none is)."""
        from signalroom.store import knowledge
        from signalroom.store.outcome_metrics import reason_labels
        from signalroom.store.qa import scorecards_in_use

        labels = reason_labels(store)
        articles = knowledge.all_articles(store)
        urls = {a.url: a.id for a in articles if a.url}
        past = mine(assist_reads.resolved_conversations(store, limit=PAST_RESOLUTIONS), labels, urls)
        examples = assist_reads.reason_examples(store, limit=REASON_EXAMPLES)
        stored = scorecards_in_use(store)
        cards = [Scorecard.model_validate(s.definition) for s in stored] if stored else None
        assistant = cls.build(articles=articles, past=past, reason_examples=examples, labels=labels, scorecards=cards)
        log.info("assist: learned from the warehouse %s", assistant.stats)
        return assistant
