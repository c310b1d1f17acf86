"""A seeded reason taxonomy (YAML), supervised assignment from its examples, and the discovered
reasons it does not cover.

YAML: a list of reasons, each ``name``, ``description`` (optional), ``examples`` (phrases) and
optional ``children`` of the same shape. Unknown fields are rejected; errors name the line and
the field path (``line 7: reasons[1].children[0].exmples: Extra inputs are not permitted``).
Assignment is by nearest example (cosine, on embeddings the caller computes for
:meth:`Taxonomy.example_texts`): below ``threshold`` a text is "unexplained".

Stored and assigned in a warehouse, a taxonomy's reasons have ids of their own, from
:data:`TAXONOMY_ID_BASE` up (reasons and children in the file's order), so they are never
confused with the ids of discovered reasons (which count from 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import yaml
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from signalroom.pipeline.reasons.cluster import normalise
from signalroom.pipeline.reasons.model import ReasonModel
from signalroom.pipeline.reasons.topics import Assignment, decode_array, encode_array
from signalroom.yaml_lines import load_with_lines
from signalroom.yaml_lines import problems as validation_problems

DEFAULT_THRESHOLD = 0.45
#: Below this cosine to the nearest example a text is unexplained, per embedding tier (each read
#: off the demo month's seeded reasons, docs/reasons.md: the tiers' cosines are on other scales).
THRESHOLD_BY_TIER = {"fast": 0.4, "quality": DEFAULT_THRESHOLD}
#: A taxonomy's reason ids start here; discovered reasons' ids start at 0.
TAXONOMY_ID_BASE = 100_000
# Softmax temperature over the reasons' best similarities: the confidence of an assignment.
_TEMPERATURE = 0.05


class ReasonSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    description: str = ""
    examples: list[str] = Field(min_length=1)
    children: list[ReasonSpec] = Field(default_factory=list)

    @field_validator("examples")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if any(not e.strip() for e in v):
            raise ValueError("examples must be non-empty phrases")
        return v


class TaxonomyError(ValueError):
    """A taxonomy file that does not validate; the message names each line and field."""


@dataclass(frozen=True, slots=True)
class TaxonomyAssignment:
    reason: str | None  # top-level reason name; None when unexplained
    sub_reason: str | None  # child name when the nearest example belongs to a child
    similarity: float
    unexplained: bool


class Taxonomy:
    def __init__(self, reasons: list[ReasonSpec], *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.reasons = reasons
        self.threshold = threshold
        names = [r.name for r in reasons] + [c.name for r in reasons for c in r.children]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise TaxonomyError(f"duplicate reason names: {dupes}")
        self._example_embeddings: NDArray[np.float32] | None = None

    @classmethod
    def from_yaml(cls, path: str | Path, *, threshold: float = DEFAULT_THRESHOLD) -> Taxonomy:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TaxonomyError(f"{path}: cannot read: {exc}") from exc
        return cls.from_yaml_text(text, threshold=threshold, where=str(path))

    @classmethod
    def from_yaml_text(cls, text: str, *, threshold: float = DEFAULT_THRESHOLD, where: str = "<yaml>") -> Taxonomy:
        path = where
        try:
            data, lines = load_with_lines(text)
        except yaml.YAMLError as exc:
            raise TaxonomyError(f"{path}: not valid YAML: {exc}") from exc
        if isinstance(data, dict) and set(data) == {"reasons"}:
            # Paths as in the list form: reasons[0].name either way.
            data, lines = data["reasons"], {k[1:]: v for k, v in lines.items() if k[:1] == ("reasons",)}
        if not isinstance(data, list):
            raise TaxonomyError(f"{path}: line 1: expected a list of reasons (or a 'reasons:' key)")
        reasons: list[ReasonSpec] = []
        problems: list[str] = []
        for i, item in enumerate(data):
            try:
                reasons.append(ReasonSpec.model_validate(item))
            except ValidationError as exc:
                problems += validation_problems(exc, lines, prefix=(i,), root="reasons")
        if problems:
            raise TaxonomyError(f"{path}: " + "; ".join(problems))
        if not reasons:
            raise TaxonomyError(f"{path}: line 1: no reasons")
        try:
            return cls(reasons, threshold=threshold)
        except TaxonomyError as exc:
            raise TaxonomyError(f"{path}: {exc}") from exc

    # ---------------------------------------------------------------- ids and (de)serialisation
    def reason_ids(self) -> dict[str, int]:
        """Every reason's and child's id (they share one id space, from :data:`TAXONOMY_ID_BASE`)."""
        ids: dict[str, int] = {}
        for r in self.reasons:
            ids[r.name] = TAXONOMY_ID_BASE + len(ids)
            for c in r.children:
                ids[c.name] = TAXONOMY_ID_BASE + len(ids)
        return ids

    def reason_info(self) -> list[dict[str, Any]]:
        """The reasons in the file's order: id, name, description, examples and children."""
        ids = self.reason_ids()
        return [
            {
                "id": ids[r.name],
                "name": r.name,
                "description": r.description,
                "examples": list(r.examples),
                "children": [
                    {"id": ids[c.name], "name": c.name, "description": c.description, "examples": list(c.examples)}
                    for c in r.children
                ],
            }
            for r in self.reasons
        ]

    def to_json(self) -> str:
        """The reasons, the threshold and (once fitted) the examples' embeddings: assignment from a
        stored taxonomy needs no embedding model for the examples."""
        return orjson.dumps(
            {
                "reasons": [r.model_dump() for r in self.reasons],
                "threshold": self.threshold,
                "examples": None if self._example_embeddings is None else encode_array(self._example_embeddings),
            }
        ).decode()

    @classmethod
    def from_json(cls, text: str) -> Taxonomy:
        data = orjson.loads(text)
        taxonomy = cls([ReasonSpec.model_validate(r) for r in data["reasons"]], threshold=float(data["threshold"]))
        if data.get("examples") is not None:
            taxonomy.fit(decode_array(data["examples"]))
        return taxonomy

    def example_texts(self) -> list[tuple[str, str | None, str]]:
        """(reason, sub-reason or None, example) for every example, parents first: embed the third
        column and pass the result to :meth:`fit`."""
        out: list[tuple[str, str | None, str]] = []
        for r in self.reasons:
            out += [(r.name, None, e) for e in r.examples]
            for c in r.children:
                out += [(r.name, c.name, e) for e in c.examples]
        return out

    def fit(self, example_embeddings: NDArray[np.floating]) -> Taxonomy:
        x = normalise(example_embeddings)
        if len(x) != len(self.example_texts()):
            raise ValueError(f"{len(self.example_texts())} examples but {len(x)} embeddings")
        self._example_embeddings = x
        return self

    @property
    def fitted(self) -> bool:
        return self._example_embeddings is not None

    def nearest(self, embeddings: NDArray[np.floating]) -> list[tuple[str, float]]:
        """The nearest reason name and similarity for each embedding, with no threshold."""
        return [(a.reason or "", a.similarity) for a in self._assign(embeddings, -1.0)]

    def assign(self, embeddings: NDArray[np.floating]) -> list[TaxonomyAssignment]:
        return self._assign(embeddings, self.threshold)

    def assign_ids(self, embeddings: NDArray[np.floating]) -> list[Assignment]:
        """:meth:`assign` with the reasons' ids (:meth:`reason_ids`; -1 when unexplained or when
        no child is nearest) and a confidence: the softmax share of the best reason among the
        reasons' best similarities (temperature 0.05), 0 when unexplained."""
        found = self.assign(embeddings)
        if not found:
            return []
        ids = self.reason_ids()
        rows = self.example_texts()
        names = [r.name for r in self.reasons]
        column = np.array([names.index(reason) for reason, _, _ in rows])
        assert self._example_embeddings is not None
        sims = normalise(embeddings) @ self._example_embeddings.T
        best = np.full((len(sims), len(names)), -1.0, dtype=np.float64)
        for n in range(len(names)):
            best[:, n] = sims[:, column == n].max(axis=1)
        weights = np.exp((best - best.max(axis=1, keepdims=True)) / _TEMPERATURE)
        shares = weights.max(axis=1) / weights.sum(axis=1)
        out: list[Assignment] = []
        for a, share in zip(found, shares, strict=True):
            if a.unexplained or a.reason is None:
                out.append(Assignment(-1, -1, 0.0, True, a.similarity))
            else:
                sub = ids[a.sub_reason] if a.sub_reason else -1
                out.append(Assignment(ids[a.reason], sub, round(float(share), 4), False, a.similarity))
        return out

    def _assign(self, embeddings: NDArray[np.floating], threshold: float) -> list[TaxonomyAssignment]:
        if self._example_embeddings is None:
            raise RuntimeError("call fit(example_embeddings) first")
        x = normalise(embeddings)
        sims = x @ self._example_embeddings.T
        best = sims.argmax(axis=1)
        top = sims[np.arange(len(x)), best]
        rows = self.example_texts()
        out: list[TaxonomyAssignment] = []
        for n in range(len(x)):
            if top[n] < threshold:
                out.append(TaxonomyAssignment(None, None, float(top[n]), True))
            else:
                reason, sub, _ = rows[int(best[n])]
                out.append(TaxonomyAssignment(reason, sub, float(top[n]), False))
        return out


@dataclass(frozen=True, slots=True)
class CandidateReason:
    topic_id: int
    label: str
    size: int
    unexplained_share: float  # of the topic's members the taxonomy could not place
    examples: list[str]
    nearest_reason: str | None = None  # the closest taxonomy reason to the topic's centre, however far


def candidate_new_reasons(
    model: ReasonModel,
    taxonomy: Taxonomy,
    assignments: list[TaxonomyAssignment],
    topic_assignments: list[Assignment] | None = None,
    *,
    min_share: float = 0.5,
    min_size: int = 3,
) -> list[CandidateReason]:
    """Discovered reasons the taxonomy does not cover: those where at least ``min_share`` of the
    members are unexplained by the taxonomy. ``assignments`` are the taxonomy's for the texts the
    model was fitted on (aligned with ``model.labels_``), or for other texts together with the
    model's ``topic_assignments`` of the same texts. Largest first."""
    if topic_assignments is not None:
        labels = np.array([a.topic_id for a in topic_assignments], dtype=np.int64)
    elif hasattr(model, "labels_"):
        labels = model.labels_
    else:
        raise ValueError("pass topic_assignments: this model has no fitted labels_")
    if len(labels) != len(assignments):
        raise ValueError(f"{len(assignments)} taxonomy assignments for {len(labels)} texts")
    unexplained = np.array([a.unexplained for a in assignments], dtype=bool)
    out: list[CandidateReason] = []
    for tid, topic in model.topics_.items():
        members = labels == tid
        size = int(members.sum())
        if size < min_size:
            continue
        share = float(unexplained[members].mean())
        if share >= min_share:
            near = taxonomy.nearest(topic.centroid[None, :])[0][0] if taxonomy.fitted else None
            out.append(CandidateReason(tid, topic.name, size, round(share, 3), list(topic.examples), near))
    return sorted(out, key=lambda c: -c.size)
