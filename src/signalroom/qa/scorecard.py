"""QA scorecards in YAML (docs/qa.md#scorecards): sections of weighted criteria, where each applies,
when it is not applicable, which fail the whole interaction — validated with pydantic, with errors
that name the file, the line and the field. An explicit registry of criterion kinds (a tagged
union on ``kind``), no dynamic classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from signalroom.qa.phrases import PatternError, parse_pattern
from signalroom.yaml_lines import validate_yaml

SLUG = r"^[a-z0-9][a-z0-9_\-]*$"
Speaker = Literal["agent", "customer", "any"]
# The conversation metrics a metric criterion can check (docs/metrics.md#conversation-metrics).
METRICS = (
    "duration_s",
    "silence_pct",
    "longest_silence_s",
    "hold_s",
    "holds",
    "talk_ratio_customer",
    "first_response_s",
    "response_median_s",
    "response_max_s",
    "customer_wait_max_s",
    "interruptions",
)


class ScorecardError(ValueError):
    """A scorecard file that does not validate; the message names the file, each line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Applicability(_Strict):
    """Where a scorecard or criterion applies (every listed condition must hold; none: everywhere).
    Reasons are matched by name, case-insensitively, or by id."""

    channels: list[str] | None = None
    reasons: list[str] | None = None
    queues: list[str] | None = None
    direction: Literal["inbound", "outbound"] | None = None


class PhraseSpec(_Strict):
    """Phrases to find (any of the patterns; the language: docs/qa-phrases.md)."""

    patterns: list[str] = Field(min_length=1)
    speaker: Speaker = "any"
    within_turns: int | None = Field(default=None, ge=1)  # within the first N turns
    within_seconds: float | None = Field(default=None, gt=0)  # within the first N seconds
    count_negated: bool = False  # "we do not record calls" does not count unless asked

    @field_validator("patterns")
    @classmethod
    def _patterns_parse(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                parse_pattern(pattern)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        return patterns


class NotApplicable(_Strict):
    """When a criterion does not apply although its scorecard does: any condition listed holds."""

    channels: list[str] | None = None
    reasons: list[str] | None = None
    queues: list[str] | None = None
    transferred_in: bool | None = None  # the interaction continues a transferred or handed-off one
    customer_never_negative: bool | None = None  # the customer had no negative moment (sentiment)
    said: PhraseSpec | None = None  # e.g. the customer asks to end the call


class RealTime(_Strict):
    """Marks a criterion for live sessions (docs/assist.md#compliance-nudges): the agent is nudged
    while the criterion can still be met. A phrase criterion nudges when it is not yet met
    ``after_seconds`` into the interaction (and before its ``within_seconds`` run out); a sequence
    criterion nudges when ``when`` is said (or its ``then`` happens) before its ``first``."""

    nudge: str = Field(min_length=1, max_length=300)  # what the agent is told
    after_seconds: float | None = Field(default=None, ge=0)
    when: PhraseSpec | None = None


class _Criterion(_Strict):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    description: str | None = None
    weight: float = Field(default=1.0, gt=0)
    auto_fail: bool = False  # failing it fails the whole interaction
    applies_to: Applicability | None = None
    not_applicable_when: NotApplicable | None = None
    realtime: RealTime | None = None

    @model_validator(mode="after")
    def _realtime_fits(self) -> _Criterion:
        live, kind = self.realtime, getattr(self, "kind", "")
        if live is None:
            return self
        if kind == "phrase":
            if getattr(self, "expect", "present") != "present":
                raise ValueError("realtime: only a phrase that must be present can be nudged for")
            if live.after_seconds is None:
                raise ValueError("realtime: a phrase criterion needs after_seconds")
            within = getattr(self, "within_seconds", None)
            if within is not None and live.after_seconds >= within:
                raise ValueError(
                    f"realtime: after_seconds {live.after_seconds:g} is not before within_seconds {within:g}"
                )
            if live.when is not None:
                raise ValueError("realtime: when is for sequence criteria")
        elif kind == "sequence":
            if live.after_seconds is not None:
                raise ValueError("realtime: after_seconds is for phrase criteria")
        else:
            raise ValueError(f"realtime: a {kind} criterion cannot be checked live (phrase and sequence can)")
        return self


class PhraseCriterion(_Criterion, PhraseSpec):
    kind: Literal["phrase"]
    expect: Literal["present", "absent"] = "present"  # absent: the phrase must not occur
    after: str | None = None  # …and only counts after this criterion's first match
    before: str | None = None  # …and only counts before this criterion's first match
    after_customer_negative: bool = False  # …and only counts after the customer's first negative moment


class SemanticCriterion(_Criterion):
    kind: Literal["semantic"]
    examples: list[str] = Field(min_length=1)
    threshold: float = Field(default=0.6, gt=0, le=1)  # cosine similarity to the nearest example
    speaker: Speaker = "any"
    within_turns: int | None = Field(default=None, ge=1)


class SequenceCriterion(_Criterion):
    """``first`` must happen before ``then``; not applicable when ``then`` never happens."""

    kind: Literal["sequence"]
    first: PhraseSpec
    then: PhraseSpec


class MetricCriterion(_Criterion):
    kind: Literal["metric"]
    metric: Literal[METRICS]  # type: ignore[valid-type]
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> MetricCriterion:
        if self.max is None and self.min is None:
            raise ValueError("a metric criterion needs max, min or both")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class SentimentCriterion(_Criterion):
    kind: Literal["sentiment"]
    # end_not_negative: the customer does not end negative; recovered: every negative moment
    # is followed by the customer ending not negative.
    check: Literal["end_not_negative", "recovered"]


class SensitiveCriterion(_Criterion):
    """Passes when the speaker never says or writes data of these kinds — found by PII redaction
    (docs/pii.md) before anything is stored, so the check reads where the marks are, never the data."""

    kind: Literal["sensitive"]
    entities: list[str] = Field(min_length=1)  # the redaction marks: CARD, CVV, PIN, …
    recognizers: list[str] | None = None  # only marks these recognizers made (CreditCardRecognizer: a full number)
    speaker: Speaker = "agent"

    @field_validator("entities")
    @classmethod
    def _known(cls, entities: list[str]) -> list[str]:
        from signalroom.pipeline.redact.marks import ENTITIES

        unknown = [e for e in entities if e not in ENTITIES]
        if unknown:
            raise ValueError(
                f"unknown entit{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; known: {', '.join(ENTITIES)}"
            )
        return entities


class LlmCriterion(_Criterion):
    """A question put to a language model through an OpenAI-compatible endpoint. Off unless the
    scoring is given an endpoint; never needed by the tests or the demo."""

    kind: Literal["llm"]
    question: str = Field(min_length=1)
    model: str | None = None


Criterion = Annotated[
    PhraseCriterion
    | SemanticCriterion
    | SequenceCriterion
    | MetricCriterion
    | SentimentCriterion
    | SensitiveCriterion
    | LlmCriterion,
    Field(discriminator="kind"),
]
KINDS = ("phrase", "semantic", "sequence", "metric", "sentiment", "sensitive", "llm")


class Section(_Strict):
    name: str = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)


class Scorecard(_Strict):
    id: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    version: int = Field(default=1, ge=1)
    description: str | None = None
    applies_to: Applicability | None = None
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> Scorecard:
        seen: set[str] = set()
        for criterion in self.criteria():
            if criterion.id in seen:
                raise ValueError(f"criterion id {criterion.id!r} is used twice")
            seen.add(criterion.id)
        for criterion in self.criteria():
            if isinstance(criterion, PhraseCriterion):
                kinds = {c.id: c.kind for c in self.criteria()}
                for ref in (criterion.after, criterion.before):
                    if ref is None:
                        continue
                    if ref not in seen:
                        raise ValueError(
                            f"criterion {criterion.id!r} refers to {ref!r}, which is not in this scorecard"
                        )
                    if ref == criterion.id:
                        raise ValueError(f"criterion {criterion.id!r} refers to itself")
                    if kinds[ref] != "phrase":
                        raise ValueError(
                            f"criterion {criterion.id!r} refers to {ref!r}: after/before need a phrase criterion"
                        )
        return self

    def criteria(self) -> Iterator[Any]:
        for section in self.sections:
            yield from section.criteria

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for criterion in self.criteria():
            kinds[criterion.kind] = kinds.get(criterion.kind, 0) + 1
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "sections": len(self.sections),
            "criteria": sum(kinds.values()),
            "kinds": kinds,
            "auto_fail": [c.id for c in self.criteria() if c.auto_fail],
        }


def parse_scorecard(text: str, where: str = "<yaml>") -> Scorecard:
    """A scorecard from YAML text; :class:`ScorecardError` names ``where``, each line and field."""
    return validate_yaml(text, Scorecard, where, error=ScorecardError,
                         shape="a scorecard is a mapping with id, name and sections", tags=KINDS)  # fmt: skip


def load_scorecard(path: Path) -> Scorecard:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScorecardError(f"{path}: cannot read: {exc}") from None
    return parse_scorecard(text, str(path))


def default_scorecard_paths() -> list[Path]:
    """The scorecards shipped with signalroom (docs/qa.md#default-scorecards)."""
    folder = Path(__file__).parent / "scorecards"
    return sorted(folder.glob("*.yaml"))
