"""One Presidio analyzer and anonymizer per process, built on a blank spaCy pipeline saved on disk.

No model is ever downloaded: the blank English pipeline (tokenizer only) is written once under
``$SIGNALROOM_CACHE`` (default ``~/.cache/signalroom``) and loaded from there.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, Pattern, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    IbanRecognizer,
    UkNinoRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine

from .names import NameRecognizer
from .recognizers import (
    AddressRecognizer,
    ConfidentPhoneRecognizer,
    ContextRecognizer,
    OfflineEmailRecognizer,
    PostcodeRecognizer,
    SpokenNumberRecognizer,
)


class NoContextEnhancer(ContextAwareEnhancer):
    """Presidio's lemma-based context enhancer needs lemmas, which a blank pipeline does not make; it would
    only copy the results. Context is handled by our recognizers' own rules (recognizers.RULES)."""

    def __init__(self) -> None:
        super().__init__(
            context_similarity_factor=0.0,
            min_score_with_context_similarity=0.0,
            context_prefix_count=0,
            context_suffix_count=0,
        )

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        return raw_results


def cache_dir() -> Path:
    return Path(os.environ.get("SIGNALROOM_CACHE") or Path.home() / ".cache" / "signalroom")


def blank_model_dir() -> Path:
    """The blank spaCy English pipeline on disk, written on first use (atomically), never downloaded."""
    import spacy

    target = cache_dir() / f"spacy-blank-en-{spacy.about.__version__}"
    if (target / "config.cfg").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".blank-en-", dir=target.parent))
    try:
        spacy.blank("en").to_disk(tmp)
        with contextlib.suppress(OSError):  # another process won the race
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


@functools.cache
def analyzer(*, phone_regions: tuple[str, ...], spoken_min_digits: int, use_lexicon: bool) -> AnalyzerEngine:
    """The shared analyzer for one set of recognizer options (built once, reused by every `Redactor`)."""
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": str(blank_model_dir())}],
        }
    )
    nlp_engine = provider.create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    recognizers: list[EntityRecognizer] = [
        CreditCardRecognizer(),
        OfflineEmailRecognizer(),
        ConfidentPhoneRecognizer(supported_regions=phone_regions),
        IbanRecognizer(),
        UsSsnRecognizer(),
        UkNinoRecognizer(patterns=[Pattern("NINO", UkNinoRecognizer.PATTERNS[0].regex, 0.85)]),
        NameRecognizer(use_lexicon=use_lexicon),
        ContextRecognizer(),
        AddressRecognizer(),
        PostcodeRecognizer(),
        SpokenNumberRecognizer(min_digits=spoken_min_digits),
    ]
    for recognizer in recognizers:
        registry.add_recognizer(recognizer)
    engine = AnalyzerEngine(
        nlp_engine=nlp_engine,
        registry=registry,
        supported_languages=["en"],
        context_aware_enhancer=NoContextEnhancer(),
    )
    for loaded in registry.recognizers:  # load now, not on the first text
        loaded.load()
        loaded.is_loaded = True
        if isinstance(loaded, OfflineEmailRecognizer):
            loaded.validate_result("warm.example.com")  # builds tldextract's suffix trie now
    return engine


@functools.cache
def empty_artifacts(engine: AnalyzerEngine) -> NlpArtifacts:
    """NLP artifacts with no tokens. None of the recognizers used here reads tokens or lemmas (a blank
    pipeline has no lemmas, so Presidio's context enhancer could not use them either), and tokenising every
    text costs more than all the pattern recognizers together; `Redactor` hands this to `analyze`."""
    nlp: Any = getattr(engine.nlp_engine, "nlp")  # noqa: B009 - SpacyNlpEngine's pipelines by language
    doc = nlp["en"].make_doc("")
    return NlpArtifacts(
        entities=[], tokens=doc, tokens_indices=[], lemmas=[], nlp_engine=engine.nlp_engine, language="en"
    )


@functools.cache
def anonymizer() -> AnonymizerEngine:
    engine: AnonymizerEngine = AnonymizerEngine()  # type: ignore[no-untyped-call]
    return engine
