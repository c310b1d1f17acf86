"""Contact-reason discovery and classification from what customers say.

- :func:`purpose_text`: the customer's side of an interaction, what they came for.
- :class:`ReasonModel`: discovered reasons → sub-reasons, stable ids across refits, assignment
  with an "unexplained" flag, user edits, JSON round-trip.
- :class:`Taxonomy`: a seeded YAML taxonomy, supervised assignment from its examples, and
  :func:`candidate_new_reasons` (what the data shows that the taxonomy does not cover).
"""

from signalroom.pipeline.reasons.model import COHERENCE_BY_TIER, ReasonModel
from signalroom.pipeline.reasons.purpose import purpose_text
from signalroom.pipeline.reasons.taxonomy import (
    CandidateReason,
    ReasonSpec,
    Taxonomy,
    TaxonomyAssignment,
    TaxonomyError,
    candidate_new_reasons,
)
from signalroom.pipeline.reasons.topics import Assignment, Topic

__all__ = [
    "COHERENCE_BY_TIER",
    "Assignment",
    "CandidateReason",
    "ReasonModel",
    "ReasonSpec",
    "Taxonomy",
    "TaxonomyAssignment",
    "TaxonomyError",
    "Topic",
    "candidate_new_reasons",
    "purpose_text",
]
