"""The built-in stages, each a thin wrapper that runs one analysis component over a batch.

Order matters: ``redact`` first, so every later stage reads redacted text only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from signalroom.pipeline.base import AnalysisBatch, Stage
from signalroom.pipeline.conversation_metrics import conversation_metrics
from signalroom.pipeline.embed import Embedder, make_embedder
from signalroom.pipeline.reasons import ReasonModel, Taxonomy
from signalroom.pipeline.reasons.purpose import purpose_text
from signalroom.pipeline.redact import Redactor
from signalroom.pipeline.sentiment import SentimentScorer
from signalroom.pipeline.situation import SituationExtractor

# Very long interactions are analysed on their first turns only, and say so.
MAX_TURNS = 400


_NOT_MEASURED = ("not measured", "left out", "not timed", "ignored")


class RedactStage(Stage):
    """PII redaction of every turn, before any other stage reads the text.

    Turns already redacted at ingest (``signalroom ingest``'s default) are not redacted again:
    their stored text is used as it is (its marks stay in the turns' attributes)."""

    name = "redact"

    def __init__(self, *, redactor: Redactor | None = None) -> None:
        self.redactor = redactor

    def _redactor(self) -> Redactor:
        if self.redactor is None:
            self.redactor = Redactor()
        return self.redactor

    def get_params(self) -> dict[str, Any]:
        return self._redactor().get_params()

    def process(self, batch: AnalysisBatch) -> None:
        for view in batch.views:
            key = batch.key(view)
            if view.redacted_at_ingest:
                # The stored text is the redacted text, with its marks kept in the turns' attributes.
                batch.redacted[key] = [t.text for t in view.turns]
                batch.redacted_at_ingest.add(key)
                continue
            names = [view.customer_name] if view.customer_name else []
            found = self._redactor().redact_many([t.text for t in view.turns], known_names=names)
            batch.redacted[key] = [r.text for r in found]
            batch.spans[key] = [
                [
                    {"start": m.start, "end": m.end, "entity": m.entity, "score": m.score, "recognizer": m.recognizer}
                    for m in r.spans
                ]
                for r in found
            ]


class PurposeStage(Stage):
    """The customer's own words about why they came (greetings and verification left out)."""

    name = "purpose"

    def process(self, batch: AnalysisBatch) -> None:
        for view in batch.views:
            redacted = batch.redacted_view(view)
            if not redacted.turns:
                batch.flag(view, "empty transcript")
            elif not redacted.customer_turns():
                batch.flag(view, "no customer turns: reason and customer sentiment not determined")
            elif len(redacted.turns) > MAX_TURNS:
                batch.flag(view, f"very long ({len(redacted.turns)} turns): reason read from the first {MAX_TURNS}")
                redacted = replace(redacted, turns=redacted.turns[:MAX_TURNS])
            text = purpose_text(redacted)
            if text:
                batch.purpose[batch.key(view)] = text
            elif redacted.customer_turns():
                batch.flag(view, "the customer never says what they came for")


class EmbedStage(Stage):
    """Embeds each interaction's purpose text with the chosen tier."""

    name = "embed"

    def __init__(self, *, tier: str = "fast", embedder: Embedder | None = None) -> None:
        self.tier = tier
        self.embedder = embedder
        self._made: Embedder | None = None

    def _embedder(self) -> Embedder:
        if self.embedder is not None:
            return self.embedder
        if getattr(self, "_made", None) is None:
            self._made = make_embedder(self.tier)
        assert self._made is not None
        return self._made

    def __getstate__(self) -> dict[str, Any]:
        # A worker process loads its own copy of the model rather than receiving this one.
        return {k: v for k, v in self.__dict__.items() if k != "_made"}

    def get_params(self) -> dict[str, Any]:
        return {"tier": self.tier, **self._embedder().get_params()}

    def process(self, batch: AnalysisBatch) -> None:
        keys = [batch.key(v) for v in batch.views]
        texts = [batch.purpose.get(k, "") for k in keys]
        batch.embeddings[self.tier] = self._embedder().encode(texts)


class ReasonStage(Stage):
    """Assigns each interaction to a contact reason: of the seeded taxonomy when there is one
    (method ``taxonomy``), else of the current discovered model (when one is fitted)."""

    name = "reasons"

    def __init__(
        self,
        *,
        tier: str = "fast",
        model: ReasonModel | None = None,
        model_version: int | None = None,
        taxonomy: Taxonomy | None = None,
        taxonomy_version: int | None = None,
    ) -> None:
        self.tier = tier
        self.model = model
        self.model_version = model_version
        self.taxonomy = taxonomy
        self.taxonomy_version = taxonomy_version

    def get_params(self) -> dict[str, Any]:
        # The model version is recorded on each assignment; a refit reassigns everything itself.
        return {"tier": self.tier}

    def process(self, batch: AnalysisBatch) -> None:
        if self.tier not in batch.embeddings or not batch.views:
            return
        if self.taxonomy is not None and self.taxonomy_version is not None:
            self._by_taxonomy(batch, self.taxonomy, self.taxonomy_version)
            return
        if self.model is None:
            return
        keys = [batch.key(v) for v in batch.views]
        texts = [batch.purpose.get(k, "") for k in keys]
        labels = {t["id"]: t["name"] for t in self.model.topic_info()}
        batch.reason_model_version = self.model_version
        for key, text, found in zip(keys, texts, self.model.assign(texts, batch.embeddings[self.tier]), strict=True):
            if not text:
                continue
            batch.reasons[key] = found
            if not found.unexplained:
                batch.reason_labels[key] = labels.get(found.topic_id, str(found.topic_id))

    def _by_taxonomy(self, batch: AnalysisBatch, taxonomy: Taxonomy, version: int) -> None:
        keys = [batch.key(v) for v in batch.views]
        names = {i: name for name, i in taxonomy.reason_ids().items()}
        batch.reason_model_version, batch.reason_method = version, "taxonomy"
        for key, found in zip(keys, taxonomy.assign_ids(batch.embeddings[self.tier]), strict=True):
            if not batch.purpose.get(key, ""):
                continue
            batch.reasons[key] = found
            if not found.unexplained:
                batch.reason_labels[key] = names[found.topic_id]


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
            # The why of each negative moment: what the interaction is about.
            reason = batch.reason_labels.get(batch.key(view))
            for moment in result.get("negative_moments", []):
                moment["topic"] = moment.get("topic") or reason
            result["turn_scores"] = [round(s.score, 4) for s in scores]
            batch.put(self.name, view, result)


class ConversationMetricsStage(Stage):
    """Talk, silence, hold, interruptions, response times, exchanges, duration, transfers."""

    name = "metrics"

    def process(self, batch: AnalysisBatch) -> None:
        for view in batch.views:
            metrics = conversation_metrics(view)
            batch.put(self.name, view, metrics.to_dict())
            # Every note stays with the metrics; only what could not be measured marks the
            # interaction as not fully analysed.
            for flag in metrics.flags:
                if any(words in flag for words in _NOT_MEASURED):
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
