"""The built-in stages, each a thin wrapper that runs one analysis component over a batch.

Order matters: ``redact`` first, so every later stage reads redacted text only.
"""

from __future__ import annotations

from typing import Any

from signalroom.pipeline.base import AnalysisBatch, Stage
from signalroom.pipeline.conversation_metrics import conversation_metrics
from signalroom.pipeline.sentiment import SentimentScorer
from signalroom.pipeline.situation import SituationExtractor


class SentimentStage(Stage):
    """Per-turn sentiment, each party's trajectory and the negative moments with their words."""

    name = "sentiment"

    def __init__(self, *, scorer: SentimentScorer | None = None) -> None:
        self.scorer = scorer

    def get_params(self) -> dict[str, Any]:
        return (self.scorer or SentimentScorer()).get_params()

    def process(self, batch: AnalysisBatch) -> None:
        scorer = self.scorer or SentimentScorer()
        for view in batch.views:
            redacted = batch.redacted_view(view)
            scores = scorer.score_view(redacted)
            summary = scorer.summarise(redacted, scores)
            result = summary.to_dict()
            result["turn_scores"] = [round(s.score, 4) for s in scores]
            batch.put(self.name, view, result)


class ConversationMetricsStage(Stage):
    """Talk, silence, hold, interruptions, response times, exchanges, duration, transfers."""

    name = "metrics"

    def process(self, batch: AnalysisBatch) -> None:
        for view in batch.views:
            metrics = conversation_metrics(view)
            batch.put(self.name, view, metrics.to_dict())
            for flag in metrics.flags:
                batch.flag(view, f"metrics: {flag}")


class SituationStage(Stage):
    """Trigger, what the customer wants, where friction started, how it ended, what comes next."""

    name = "situation"

    def __init__(self, *, extractor: SituationExtractor | None = None) -> None:
        self.extractor = extractor

    def get_params(self) -> dict[str, Any]:
        return (self.extractor or SituationExtractor()).get_params()

    def process(self, batch: AnalysisBatch) -> None:
        extractor = self.extractor or SituationExtractor()
        for view in batch.views:
            reason = batch.reason_labels.get(batch.key(view))
            situation = extractor.extract(batch.redacted_view(view), reason=reason)
            batch.put(self.name, view, situation.to_dict())
            for flag in situation.flags:
                batch.flag(view, flag)
