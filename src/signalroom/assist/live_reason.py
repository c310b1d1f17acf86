"""The live contact reason (docs/assist.md#live-contact-reason): a light classifier learned from
the reasons the analysis assigned, so it reads a conversation in about a millisecond.

The discovered reasons come from sentence embeddings and clustering over whole conversations,
too slow to run on every turn of 200 live calls; a TF-IDF logistic regression fitted on each
analysed interaction's opening words (what a live session has heard when the reason matters)
carries that labelling over (a linear SVM: as accurate here as a logistic regression, and a
hundred times faster to fit). Its margins become probabilities by temperature scaling (one
parameter, fitted on a held-out fifth), which keeps a prediction to one sparse product.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

MIN_EXAMPLES = 30  # fewer interactions with a reason than this: no live reason
MIN_PER_REASON = 3  # a reason seen fewer times cannot be cross-validated: left out


@dataclass(frozen=True)
class LiveReason:
    id: int
    label: str
    confidence: float  # calibrated probability

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "confidence": self.confidence}


class LiveReasonClassifier:
    def __init__(
        self, *, min_confidence: float = 0.35, held_out: float = 0.2, max_features: int = 50_000, seed: int = 0
    ) -> None:
        self.min_confidence = min_confidence
        self.held_out = held_out
        self.max_features = max_features
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        return {
            "min_confidence": self.min_confidence,
            "held_out": self.held_out,
            "max_features": self.max_features,
            "seed": self.seed,
        }

    def fit(self, texts: Sequence[str], reasons: Sequence[int], labels: dict[int, str]) -> LiveReasonClassifier:
        """Learn from (opening words, reason id) pairs; ``labels`` names the reasons."""
        counts = Counter(reasons)
        keep = [i for i, r in enumerate(reasons) if counts[r] >= MIN_PER_REASON]
        self.labels_ = dict(labels)
        self.fitted_ = len(keep) >= MIN_EXAMPLES and len({reasons[i] for i in keep}) >= 2
        self.examples_ = len(keep)
        if not self.fitted_:
            return self
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=self.max_features
        )
        x = self.vectorizer_.fit_transform([texts[i] for i in keep])
        y = np.array([reasons[i] for i in keep])
        fit_x, check_x, fit_y, check_y = train_test_split(
            x, y, test_size=self.held_out, random_state=self.seed, stratify=y
        )
        held = self._model().fit(fit_x, fit_y)
        logits = _logits(held.decision_function(check_x))
        truth = np.searchsorted(held.classes_, check_y)
        known = np.isin(check_y, held.classes_)

        def loss(t: float) -> float:
            return float(-log_softmax(logits[known] / t, axis=1)[np.arange(known.sum()), truth[known]].mean())

        self.temperature_ = float(minimize_scalar(loss, bounds=(0.05, 20.0), method="bounded").x)
        self.model_ = self._model().fit(x, y)
        self.classes_ = [int(c) for c in self.model_.classes_]
        self.coef_ = self.model_.coef_.T.astype(np.float32)
        self.intercept_ = self.model_.intercept_.astype(np.float32)
        return self

    @staticmethod
    def _model() -> LinearSVC:
        return LinearSVC(C=1.0)

    def predict(self, text: str) -> LiveReason | None:
        """The most likely reason of a conversation so far, or None below ``min_confidence``."""
        if not getattr(self, "fitted_", False) or not text.strip():
            return None
        x = self.vectorizer_.transform([text])
        if x.nnz == 0:
            return None
        probabilities = softmax(_logits(x @ self.coef_ + self.intercept_)[0] / self.temperature_)
        best = int(np.argmax(probabilities))
        confidence = float(probabilities[best])
        if confidence < self.min_confidence:
            return None
        reason = self.classes_[best]
        return LiveReason(reason, self.labels_.get(reason, f"reason {reason}"), round(confidence, 3))


def _logits(margins: Any) -> Any:
    """One column per class: two classes have one margin, for the second."""
    margins = np.asarray(margins)
    if margins.ndim == 1 or margins.shape[1] == 1:
        column = margins.reshape(-1, 1)
        return np.hstack([-column / 2, column / 2])
    return margins
