"""The stage contract: small, swappable steps over a batch of interactions.

As in scikit-learn, a stage's constructor takes keyword-only parameters and only stores them;
``get_params`` reads them back, and they are recorded with every result the stage makes. Any
stage can be replaced by :class:`PassThrough` to skip it.
"""

from __future__ import annotations

import hashlib
import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import orjson

from signalroom.pipeline.views import InteractionView, TurnView

Key = tuple[str, str]


@dataclass
class AnalysisBatch:
    """One batch moving through the stages; each stage reads what earlier ones left and adds its own."""

    views: list[InteractionView]
    # Turn texts after redaction (same order as each view's turns) and the marks' spans.
    redacted: dict[Key, list[str]] = field(default_factory=dict)
    spans: dict[Key, list[list[dict[str, Any]]]] = field(default_factory=dict)
    # Interactions whose stored turns were redacted at ingest: their text is not stored again.
    redacted_at_ingest: set[Key] = field(default_factory=set)
    purpose: dict[Key, str] = field(default_factory=dict)
    embeddings: dict[str, np.ndarray] = field(default_factory=dict)  # tier -> (n, dim), rows as views
    results: dict[str, dict[Key, dict[str, Any]]] = field(default_factory=dict)  # stage -> key -> result
    flags: dict[Key, list[str]] = field(default_factory=dict)
    reasons: dict[Key, Any] = field(default_factory=dict)  # Assignment per interaction
    reason_model_version: int | None = None  # of the discovered model, or of the taxonomy
    reason_method: str = "discovered"  # discovered | taxonomy
    reason_labels: dict[Key, str] = field(default_factory=dict)  # the contact reason, once assigned
    _redacted_views: dict[Key, InteractionView] = field(default_factory=dict, repr=False)

    @staticmethod
    def key(view: InteractionView) -> Key:
        return (view.source, view.id)

    def texts(self, view: InteractionView) -> list[str]:
        """The view's turn texts, redacted when a redaction stage ran."""
        return self.redacted.get(self.key(view)) or [t.text for t in view.turns]

    def redacted_view(self, view: InteractionView) -> InteractionView:
        """The view with its turns' text redacted (the view itself when no redaction ran)."""
        key = self.key(view)
        texts = self.redacted.get(key)
        if texts is None:
            return view
        found = self._redacted_views.get(key)
        if found is None and key in self.redacted_at_ingest:
            found = self._redacted_views[key] = replace(view, customer_name=None)  # the turns are redacted
        elif found is None:
            # Built directly: dataclasses.replace costs ~10x more, per turn, on the hot path.
            turns = tuple(
                TurnView(t.seq, t.speaker, text, t.at, t.offset_ms, t.end_ms)
                for t, text in zip(view.turns, texts, strict=True)
            )
            found = self._redacted_views[key] = replace(view, turns=turns, customer_name=None)
        return found

    def flag(self, view: InteractionView, reason: str) -> None:
        found = self.flags.setdefault(self.key(view), [])
        if reason not in found:
            found.append(reason)

    def put(self, stage: str, view: InteractionView, result: dict[str, Any]) -> None:
        self.results.setdefault(stage, {})[self.key(view)] = result


class Stage(ABC):
    """Subclasses set ``name`` (what it does, e.g. ``sentiment``) and ``version`` (bumped when its
    output changes for the same input, which makes the next run re-analyse everything)."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"

    def get_params(self) -> dict[str, Any]:
        params = inspect.signature(type(self).__init__).parameters
        return {n: getattr(self, n) for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "params": _plain(self.get_params())}

    @abstractmethod
    def process(self, batch: AnalysisBatch) -> None:
        """Read the batch and add this stage's results to it."""


class PassThrough(Stage):
    """Stands in for a skipped stage: does nothing, and says so in the run's record."""

    name = "skip"

    def __init__(self, *, replaces: str = "") -> None:
        self.replaces = replaces

    def process(self, batch: AnalysisBatch) -> None:
        return None


def _plain(value: Any) -> Any:
    """Parameters as JSON-friendly values (tuples to lists, objects to their repr)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def pipeline_hash(stages: list[Stage]) -> str:
    """A fingerprint of the stages, their versions and parameters."""
    described = orjson.dumps([s.describe() for s in stages], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(described, digest_size=8).hexdigest()
