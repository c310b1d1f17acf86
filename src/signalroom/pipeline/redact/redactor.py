"""`Redactor`: PII out of contact-centre text, each finding replaced by a typed mark such as ``[CARD]``."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_anonymizer.entities import OperatorConfig

from . import engine
from .marks import ENTITIES, ENTITY_OF_LABEL, MARKS, PRESIDIO_LABELS, PRIORITY
from .names import KnownNameRecognizer, known_name_parts
from .prescan import prescan


@dataclass(frozen=True, slots=True)
class RedactedSpan:
    """Where a mark sits in the redacted text (never the original value)."""

    start: int
    end: int
    entity: str  # NAME, EMAIL, … (see marks.MARKS)
    score: float
    recognizer: str


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    spans: tuple[RedactedSpan, ...] = ()

    @property
    def redacted(self) -> bool:
        return bool(self.spans)


# Two findings of one entity with only this between them become one mark ("CF11 3EL, 125 Meadow View").
_JOIN = {
    "ADDRESS": re.compile(r"[\s,]*(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?[\s,]*)?"),
    "NAME": re.compile(r"[ \t]+"),
    "NUMBER": re.compile(r"[\s,.…-]*"),
}
_ANY_GAP = re.compile(r"[ \t]*")


class Redactor:
    """Finds and masks PII with Presidio behind a cheap pre-scan.

    Options (keyword-only, stored as given, reported by `get_params`):
    entities: the entity types to redact (names as in `MARKS`; None: all);
    score_threshold: the lowest recognizer score kept;
    phone_regions: the regions phone numbers are validated for;
    spoken_min_digits: how many digits a run of digit words needs to be redacted as [NUMBER] alone;
    use_lexicon: treat capitalised first names from the gender-guesser list as names;
    use_prescan: skip Presidio for texts with no PII cue (False only to measure what the pre-scan costs);
    cache_size: how many Presidio results to remember by text (scripted agent lines repeat; 0: none).
    """

    def __init__(
        self,
        *,
        entities: tuple[str, ...] | None = None,
        score_threshold: float = 0.5,
        phone_regions: tuple[str, ...] = ("GB", "US", "IE"),
        spoken_min_digits: int = 6,
        use_lexicon: bool = True,
        use_prescan: bool = True,
        cache_size: int = 4096,
    ) -> None:
        self.entities = entities
        self.score_threshold = score_threshold
        self.phone_regions = phone_regions
        self.spoken_min_digits = spoken_min_digits
        self.use_lexicon = use_lexicon
        self.use_prescan = use_prescan
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], Redaction] = OrderedDict()
        chosen = ENTITIES if entities is None else tuple(entities)
        unknown = sorted(set(chosen) - set(ENTITIES))
        if unknown:
            raise ValueError(f"unknown entities {unknown}; known: {', '.join(ENTITIES)}")
        self._labels = frozenset(label for e in chosen for label in PRESIDIO_LABELS[e])
        self._operators = {e: OperatorConfig("replace", {"new_value": MARKS[e]}) for e in ENTITIES}
        self._analyzer: Any = None
        self._by_labels: dict[frozenset[str], list[EntityRecognizer]] = {}

    def get_params(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "score_threshold": self.score_threshold,
            "phone_regions": self.phone_regions,
            "spoken_min_digits": self.spoken_min_digits,
            "use_lexicon": self.use_lexicon,
            "use_prescan": self.use_prescan,
            "cache_size": self.cache_size,
        }

    def _engine(self) -> Any:
        if self._analyzer is None:
            self._analyzer = engine.analyzer(
                phone_regions=tuple(self.phone_regions),
                spoken_min_digits=self.spoken_min_digits,
                use_lexicon=self.use_lexicon,
            )
        return self._analyzer

    def redact(self, text: str, *, known_names: Iterable[str] = ()) -> Redaction:
        parts = known_name_parts(known_names) if known_names else ()
        return self._redact(text, parts)

    def redact_many(self, texts: Sequence[str] | Iterable[str], *, known_names: Iterable[str] = ()) -> list[Redaction]:
        """Redact several texts (e.g. the turns of one interaction) with the same known names."""
        parts = known_name_parts(known_names) if known_names else ()
        return [self._redact(t, parts) for t in texts]

    def _redact(self, text: str, parts: tuple[str, ...]) -> Redaction:
        labels = self._labels_for(text, parts)
        if not labels:
            return Redaction(text)
        if self.cache_size <= 0:
            return self._analyze(text, parts, labels)
        low = text.lower()
        key = (text, tuple(p for p in parts if p.lower() in low))
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        result = self._analyze(text, key[1], labels)
        self._cache[key] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def _resolved(self, text: str, parts: tuple[str, ...], labels: set[str] | frozenset[str]) -> list[Any]:
        """The recognizers for the cued labels, run directly.

        ``AnalyzerEngine.analyze`` would filter its registry, run the context enhancers (no-ops
        here: see engine.NoContextEnhancer) and remove duplicates (which `_resolve` does anyway)
        on every call; that bookkeeping cost more than the recognizers themselves."""
        analyzer = self._engine()
        artifacts = engine.empty_artifacts(analyzer)
        wanted = sorted(labels)
        recognizers = self._recognizers_for(analyzer, frozenset(labels))
        if parts and "PERSON" in labels:
            recognizers = [*recognizers, KnownNameRecognizer(parts)]
        found: list[RecognizerResult] = []
        for recognizer in recognizers:
            for result in recognizer.analyze(text=text, entities=wanted, nlp_artifacts=artifacts) or ():
                if result.score >= self.score_threshold and result.entity_type in labels:
                    meta = result.recognition_metadata = result.recognition_metadata or {}
                    meta.setdefault(RecognizerResult.RECOGNIZER_NAME_KEY, name_of(recognizer))
                    found.append(result)
        return _resolve(found, text)

    def _recognizers_for(self, analyzer: Any, labels: frozenset[str]) -> list[EntityRecognizer]:
        found = self._by_labels.get(labels)
        if found is None:
            found = self._by_labels[labels] = list(
                analyzer.registry.get_recognizers(language="en", entities=sorted(labels))
            )
        return found

    def find(self, text: str, *, known_names: Iterable[str] = ()) -> tuple[RedactedSpan, ...]:
        """Where `redact` would put marks, in the ORIGINAL text's coordinates (for evaluation and review)."""
        parts = known_name_parts(known_names) if known_names else ()
        labels = self._labels_for(text, parts)
        if not labels:
            return ()
        return tuple(
            RedactedSpan(r.start, r.end, r.entity_type, round(float(r.score), 3), _recognizer(r))
            for r in self._resolved(text, parts, labels)
        )

    def _labels_for(self, text: str, parts: tuple[str, ...]) -> set[str] | frozenset[str]:
        if not text:
            return frozenset()
        if self.use_prescan:
            return prescan(text, tuple(p.lower() for p in parts) if parts else ()) & self._labels
        return self._labels

    def _analyze(self, text: str, parts: tuple[str, ...], labels: set[str] | frozenset[str]) -> Redaction:
        chosen = self._resolved(text, parts, labels)
        if not chosen:
            return Redaction(text)
        operators = {r.entity_type: self._operators[r.entity_type] for r in chosen}
        out = engine.anonymizer().anonymize(text=text, analyzer_results=chosen, operators=operators)
        items = sorted(out.items, key=lambda i: i.start)
        if len(items) != len(chosen):  # pragma: no cover - the anonymizer merged what _resolve kept apart
            spans = tuple(RedactedSpan(i.start, i.end, i.entity_type, 0.0, "") for i in items)
        else:
            spans = tuple(
                RedactedSpan(i.start, i.end, r.entity_type, round(float(r.score), 3), _recognizer(r))
                for i, r in zip(items, chosen, strict=True)
            )
        return Redaction(out.text, spans)


def name_of(recognizer: EntityRecognizer) -> str:
    return str(getattr(recognizer, "name", type(recognizer).__name__))


def _recognizer(r: RecognizerResult) -> str:
    meta = r.recognition_metadata or {}
    return str(meta.get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))


def _resolve(results: list[RecognizerResult], text: str) -> list[RecognizerResult]:
    """Non-overlapping findings, relabelled with our entity names, sorted by start; overlaps go to the higher
    score (then the entity's priority, then the longer span); same-entity neighbours are joined into one mark."""
    ranked = sorted(
        results,
        key=lambda r: (-r.score, -PRIORITY[ENTITY_OF_LABEL[r.entity_type]], -(r.end - r.start), r.start),
    )
    kept: list[RecognizerResult] = []
    for r in ranked:
        if r.end <= r.start or any(r.start < k.end and k.start < r.end for k in kept):
            continue
        kept.append(r)
    kept.sort(key=lambda r: r.start)
    merged: list[RecognizerResult] = []
    for r in kept:
        entity = ENTITY_OF_LABEL[r.entity_type]
        r = RecognizerResult(entity, r.start, r.end, r.score, recognition_metadata=r.recognition_metadata)
        if merged and merged[-1].entity_type == entity:
            prev = merged[-1]
            gap = _JOIN.get(entity, _ANY_GAP).fullmatch(text, prev.end, r.start)
            if gap is not None:
                prev.end = r.end
                prev.score = max(prev.score, r.score)
                continue
        merged.append(r)
    return merged
