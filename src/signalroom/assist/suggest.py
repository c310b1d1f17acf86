"""Knowledge and resolution suggestions for real-time assist (docs/assist-suggestions.md).

After each turn of a live conversation the agent is offered up to k knowledge articles, each with
a calibrated confidence (the estimated probability that it is what resolves the contact) and a
short "why", and the resolutions of the most similar past contacts.

    suggester = Suggester().fit(articles, past)
    suggester.suggest([("customer", "spotify won't play offline")], collection="SpotifyCares")

`BM25Suggester` (suggest_base.py) is the baseline the learned `Suggester` is measured against
(benchmarks/assist_suggestions.py); the features are in suggest_features.py, the numerical parts
(words, BM25, the conditional logit, calibration) in ranking.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from signalroom.assist.ranking import (
    Calibrator,
    FloatArray,
    IntArray,
    Vocabulary,
    compress,
    fit_conditional_logit,
    softmax,
    words,
)
from signalroom.assist.suggest_base import (
    SNIPPET,
    BM25Suggester,
    Params,
    SuggestError,
    Turn,
    check_k,
    check_records,
    conversation_words,
    plural,
    surface_forms,
)
from signalroom.assist.suggest_features import COLUMN, FEATURES, Neighbours, Scope, build_scope, features
from signalroom.assist.types import Article, PastResolution, Suggestion

__all__ = ["FEATURES", "BM25Suggester", "SuggestError", "Suggester", "Turn"]

log = logging.getLogger(__name__)

EMBEDDERS = ("auto", "fast", "quality")
CALIBRATIONS = ("platt", "isotonic", "none")
MIN_TRAINING = 20  # labelled past contacts needed to learn the weights; fewer: DEFAULT_WEIGHTS
CALIBRATE_TOP = 5  # candidates per past contact the calibration is fitted on
RESOLUTION_POOL = 8  # nearest resolvable past contacts a resolution is chosen from
_RELOAD = "<reload the embedder>"
#: Weights on the raw features when there is too little past to learn them (no calibration).
DEFAULT_WEIGHTS = {"article_rel": 3.0, "expanded_rel": 2.0, "votes": 2.0, "embedding": 4.0, "prior": 0.5}


class Suggester(Params):
    """Ours: a learned combination of word, past-contact, meaning and popularity evidence.

    For each candidate article of the conversation's collection (its own articles, and any article
    a past contact of the collection was resolved with) it computes the features of
    `signalroom.assist.suggest_features.FEATURES`; a conditional logit (a softmax over the candidates)
    weighs them, trained on the past with cross-fitting (each past contact is scored against
    scopes built without its own fold, so it never votes for itself); the top probabilities are
    then calibrated (Platt or isotonic) on cross-fitted scores.

    Parameters (stored as given; checked by fit):
        embedder: "auto" (the fast static embedding if it is already built, else none), "fast"
            (builds it on first use: about a minute), "quality" (MiniLM: too slow per call for
            live use), None (no embeddings), or an object with encode(list[str]) -> vectors.
        features: the FEATURES to use (None: all).
        neighbours: how many nearest past contacts vote for their article.
        folds: cross-fitting folds (>= 2).
        calibration: "platt", "isotonic" or "none".
        resolutions: how many past-resolution suggestions to add after the articles (0: none).
        agent_weight: how much an agent turn's words count against a customer turn's (0 to 1).
        l2: the conditional logit's L2 penalty (on standardised features).
        k1, b: BM25's parameters.
        random_state: the seed of the fold assignment.
    """

    def __init__(
        self,
        *,
        embedder: Any = "auto",
        features: Sequence[str] | None = None,
        neighbours: int = 20,
        folds: int = 5,
        calibration: str = "platt",
        resolutions: int = 1,
        agent_weight: float = 0.5,
        l2: float = 1.0,
        k1: float = 1.2,
        b: float = 0.75,
        random_state: int = 0,
    ) -> None:
        self.embedder = embedder
        self.features = features
        self.neighbours = neighbours
        self.folds = folds
        self.calibration = calibration
        self.resolutions = resolutions
        self.agent_weight = agent_weight
        self.l2 = l2
        self.k1 = k1
        self.b = b
        self.random_state = random_state

    # ----------------------------------------------------------------------------------- fit

    def _check_params(self) -> None:
        def whole(name: str, low: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise SuggestError(f"{name} must be a whole number of at least {low}, got {value!r}")

        whole("neighbours", 1)
        whole("folds", 2)
        whole("resolutions", 0)
        if self.calibration not in CALIBRATIONS:
            raise SuggestError(f"calibration must be one of {', '.join(CALIBRATIONS)}, got {self.calibration!r}")
        if not 0.0 <= float(self.agent_weight) <= 1.0:
            raise SuggestError(f"agent_weight must be between 0 and 1, got {self.agent_weight!r}")
        for name in ("l2", "k1"):
            if not float(getattr(self, name)) > 0:
                raise SuggestError(f"{name} must be positive, got {getattr(self, name)!r}")
        if not 0.0 <= float(self.b) <= 1.0:
            raise SuggestError(f"b must be between 0 and 1, got {self.b!r}")
        unknown = sorted(set(self.features or ()) - set(FEATURES))
        if unknown or (self.features is not None and isinstance(self.features, str)):
            raise SuggestError(f"unknown features {unknown or self.features!r}: choose from {', '.join(FEATURES)}")
        if isinstance(self.embedder, str) and self.embedder not in EMBEDDERS:
            raise SuggestError(f"embedder must be one of {', '.join(EMBEDDERS)}, None or an embedder object")
        if self.embedder is not None and not isinstance(self.embedder, str) and not hasattr(self.embedder, "encode"):
            raise SuggestError(f"embedder object {self.embedder!r} has no encode(texts) method")

    def _make_embedder(self) -> Any:
        if self.embedder is None:
            return None
        if not isinstance(self.embedder, str):
            return self.embedder
        from signalroom.pipeline.embed import EmbeddingError, make_embedder

        tier = "fast" if self.embedder == "auto" else self.embedder
        try:
            embedder = make_embedder(tier, **({"build": False} if self.embedder == "auto" else {}))
            embedder.encode(["warm up"])
        except (EmbeddingError, ImportError, OSError) as error:
            if self.embedder != "auto":
                raise
            log.warning("assist suggestions without embeddings (%s): build the fast model to use them", error)
            return None
        return embedder

    def __getstate__(self) -> dict[str, Any]:
        """Pickles without the loaded embedding model when it was made from a tier name (it is
        loaded again from the local cache on unpickling)."""
        state = self.__dict__.copy()
        if isinstance(self.embedder, str) and state.get("embedder_") is not None:
            state["embedder_"] = _RELOAD
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if isinstance(state.get("embedder_"), str) and state["embedder_"] == _RELOAD:
            self.embedder_ = self._make_embedder()

    def _encode(self, texts: list[str]) -> NDArray[np.float32]:
        vectors = np.asarray(self.embedder_.encode(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        out: NDArray[np.float32] = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
        return out

    def fit(self, articles: Sequence[Article], past: Sequence[PastResolution] = ()) -> Suggester:
        """Learn from the knowledge base and the past contacts (with the article that resolved them)."""
        self._check_params()
        check_records(articles, past)
        self.articles_ = list(articles)
        self.past_ = list(past)
        self.embedder_ = self._make_embedder()
        self.vocabulary_ = vocabulary = Vocabulary()
        article_tokens = [vocabulary.add(words(f"{a.title} {a.body}")) for a in self.articles_]
        past_tokens = [vocabulary.add(words(p.text)) for p in self.past_]
        self.article_terms_ = [frozenset(t.tolist()) for t in article_tokens]
        self.terms_ = list(vocabulary.index)
        position = {a.id: i for i, a in enumerate(self.articles_)}
        self.past_article_ = np.array([position.get(p.article_id or "", -1) for p in self.past_], dtype=np.int64)
        article_vectors = past_vectors = None
        if self.embedder_ is not None:
            article_vectors = self._encode([f"{a.title} {a.body}" for a in self.articles_])
            past_vectors = self._encode([p.text for p in self.past_])
        members: dict[str | None, tuple[list[int], list[int]]] = {None: (list(range(len(articles))), [])}
        for i, article in enumerate(self.articles_):
            if article.collection is not None:
                members.setdefault(article.collection, ([], []))[0].append(i)
        for i, item in enumerate(self.past_):
            members[None][1].append(i)
            if item.collection is not None:
                members.setdefault(item.collection, ([], []))[1].append(i)
        resolvable = np.array([bool(p.resolution and p.resolution.strip()) for p in self.past_], dtype=bool)
        self.resolution_keys_ = [self._resolution_key(i) for i in range(len(self.past_))]
        shared = {
            "past_article": self.past_article_,
            "past_reason": [p.reason for p in self.past_],
            "past_resolvable": resolvable,
            "article_tokens": article_tokens,
            "past_tokens": past_tokens,
            "article_vectors": article_vectors,
            "past_vectors": past_vectors,
            "n_terms": len(vocabulary),
            "k1": float(self.k1),
            "b": float(self.b),
        }

        def scope(key: str | None, drop: NDArray[np.bool_] | None = None) -> Scope:
            arts, pasts = members[key]
            kept = np.array(pasts, dtype=np.int64)
            if drop is not None:
                kept = kept[~drop[kept]]
            return build_scope(np.array(arts, dtype=np.int64), kept, **shared)  # type: ignore[arg-type]

        self.scopes_ = {key: scope(key) for key in members}
        self.feature_mask_ = np.array([self.features is None or f in self.features for f in FEATURES], dtype=np.float64)
        self._learn(scope, past_tokens, past_vectors)
        return self

    def _learn(self, scope: Any, past_tokens: list[IntArray], past_vectors: NDArray[np.float32] | None) -> None:
        """Cross-fitted training rows -> weights, calibration and the resolution model."""
        n_past = len(self.past_)
        labelled = [i for i in range(n_past) if self.past_article_[i] >= 0]
        self.trained_ = len(labelled) >= MIN_TRAINING
        self.mean_ = np.zeros(len(FEATURES))
        self.scale_ = np.ones(len(FEATURES))
        self.weights_ = np.array([DEFAULT_WEIGHTS.get(f, 0.0) for f in FEATURES]) * self.feature_mask_
        self.calibrator_ = Calibrator("none")
        self.resolution_model_: tuple[FloatArray, float] | None = None
        if not self.trained_:
            return
        rng = np.random.default_rng(self.random_state)
        fold_of = rng.permutation(n_past) % self.folds
        scopes: dict[tuple[str | None, int], Scope] = {}
        rows: list[tuple[FloatArray, int, int, Scope, Neighbours, int]] = []
        for i in labelled:
            key = self.past_[i].collection
            f = int(fold_of[i])
            if (key, f) not in scopes:
                scopes[(key, f)] = scope(key, fold_of == f)
            s = scopes[(key, f)]
            ids, counts = np.unique(past_tokens[i], return_counts=True)
            vector = None if past_vectors is None else past_vectors[i]
            x, near = features(
                s, ids, counts.astype(np.float64), vector, self.past_[i].reason, neighbours=self.neighbours
            )
            right = np.flatnonzero(s.articles == self.past_article_[i])
            rows.append((x * self.feature_mask_, int(right[0]) if len(right) else -1, f, s, near, i))
        stacked = np.vstack([r[0] for r in rows])
        self.mean_ = stacked.mean(axis=0)
        scale = stacked.std(axis=0)
        self.scale_ = np.where(scale > 1e-9, scale, 1.0)
        standard = [(x - self.mean_) / self.scale_ for x, *_ in rows]
        groups = [compress(x, r[1]) for x, r in zip(standard, rows, strict=True)]

        def fit_without(fold: int, start: FloatArray | None = None) -> FloatArray:
            kept = [g for g, r in zip(groups, rows, strict=True) if g is not None and r[2] != fold]
            return fit_conditional_logit(kept, l2=float(self.l2), n_features=len(FEATURES), start=start)

        full = fit_without(-1)
        self.weights_ = full / self.scale_
        # Out-of-fold probabilities: the weights refitted without each fold, applied to it.
        probabilities: list[FloatArray] = [np.zeros(0)] * len(rows)
        for f in range(self.folds):
            inside = [j for j, r in enumerate(rows) if r[2] == f]
            if inside:
                w = fit_without(f, start=full)
                for j in inside:
                    probabilities[j] = softmax(standard[j] @ w)
        p_top, hit = [], []
        for (_, y, *_), p in zip(rows, probabilities, strict=True):
            top = np.argsort(-p, kind="stable")[:CALIBRATE_TOP]
            p_top.append(p[top])
            hit.append(top == y)
        self.calibrator_ = Calibrator(self.calibration).fit(np.concatenate(p_top), np.concatenate(hit))
        self._learn_resolutions(rows, probabilities)

    def _resolution_rows(
        self, s: Scope, near: Neighbours, p: FloatArray, reason: str | None
    ) -> tuple[IntArray, FloatArray]:
        """The nearest resolvable past contacts (scope positions) and their resolution features."""
        pool = near.nearest(RESOLUTION_POOL, s.resolvable)
        pos = s.past_pos[pool]
        p_article = np.where(pos >= 0, p[np.maximum(pos, 0)], 0.0) if len(p) else np.zeros(len(pool))
        same = [reason is not None and self.past_[int(g)].reason == reason for g in s.past[pool]]
        x = np.column_stack(
            [near.words[pool], near.meaning[pool], np.log(p_article + 1e-4), np.array(same, dtype=np.float64)]
        )
        return pool, x

    def _learn_resolutions(self, rows: list[Any], probabilities: list[FloatArray]) -> None:
        xs, ys = [], []
        for (_, _, _, s, near, i), p in zip(rows, probabilities, strict=True):
            pool, x = self._resolution_rows(s, near, p, self.past_[i].reason)
            if len(pool):
                xs.append(x)
                ys.append(self.past_article_[s.past[pool]] == self.past_article_[i])
        if not xs or len(np.unique(np.concatenate(ys))) < 2:
            return
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1.0).fit(np.vstack(xs), np.concatenate(ys))
        self.resolution_model_ = (np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0]))

    # ------------------------------------------------------------------------------- suggest

    def suggest(
        self, turns: Sequence[Turn], *, collection: str | None = None, reason: str | None = None, k: int = 3
    ) -> list[Suggestion]:
        """Up to k articles, best first, then up to `resolutions` past resolutions, best first.

        An empty conversation (or one with no known word and no embedding) gets []. A collection
        that no article or past contact has searches every article, and the why says so.
        """
        check_k(k)
        if not hasattr(self, "scopes_"):
            raise SuggestError("Suggester is not fitted: call fit(articles, past) first")
        tokens, weights, texts = conversation_words(turns, float(self.agent_weight))
        if not texts:
            return []
        note = ""
        scope = self.scopes_.get(collection)
        if scope is None:
            scope = self.scopes_[None]
            note = f" (searched every collection: {collection!r} is unknown)"
        ids, w = self.vocabulary_.lookup(tokens, weights)
        vector = self._encode([" ".join(texts)])[0] if self.embedder_ is not None else None
        if not len(ids) and (vector is None or not vector.any()):
            return []
        x, near = features(scope, ids, w, vector, reason, neighbours=self.neighbours)
        out: list[Suggestion] = []
        p = np.zeros(0)
        if len(scope.articles):
            score = (x * self.feature_mask_ - self.mean_) @ self.weights_
            p = softmax(score)
            order = np.argsort(-score, kind="stable")[:k]
            confidence = self.calibrator_(p[order])
            nearest = near.nearest(self.neighbours)
            surface = surface_forms(texts)
            for pos, c in zip(order.tolist(), confidence.tolist(), strict=True):
                out.append(self._article(scope, pos, c, ids, x[pos], nearest, surface, reason, collection, note))
        if self.resolutions:
            out.extend(self._resolutions(scope, near, p, reason, note))
        return out

    def _article(
        self,
        scope: Scope,
        pos: int,
        confidence: float,
        ids: IntArray,
        row: FloatArray,
        nearest: IntArray,
        surface: dict[str, str],
        reason: str | None,
        collection: str | None,
        note: str,
    ) -> Suggestion:
        article = self.articles_[int(scope.articles[pos])]
        parts = []
        terms = self.article_terms_[int(scope.articles[pos])]
        matched = [self.terms_[t] for t in ids.tolist() if t in terms]
        if matched and self.feature_mask_[COLUMN["article"]]:
            parts.append("matches words: " + ", ".join(surface.get(t, t) for t in matched[:4]))
        similar = [int(scope.past[q]) for q in nearest if scope.past_pos[q] == pos]
        if similar:
            parts.append(f"used for {plural(len(similar), 'similar past contact')}")
        if reason is not None and reason in scope.reason_counts and scope.reason_counts[reason][pos] > 0:
            parts.append(f"used for {plural(int(scope.reason_counts[reason][pos]), 'past contact')} about {reason}")
        if not parts and row[COLUMN["embedding"]] > 0:
            parts.append("close in meaning to the conversation")
        if not parts and scope.counts[pos] > 0:
            where = f" for {collection}" if collection and not note else ""
            parts.append(f"often used{where} ({plural(int(scope.counts[pos]), 'past contact')})")
        why = "; ".join(parts) or "the best of weak matches"
        return Suggestion(
            kind="article",
            id=article.id,
            title=article.title or article.id,
            confidence=float(confidence),
            why=why + note,
            url=article.url,
            text=article.body[:SNIPPET] or None,
            evidence=tuple(self.past_[q].interaction for q in similar[:5]),
        )

    def _resolutions(
        self, scope: Scope, near: Neighbours, p: FloatArray, reason: str | None, note: str
    ) -> list[Suggestion]:
        pool, x = self._resolution_rows(scope, near, p, reason)
        if not len(pool):
            return []
        if self.resolution_model_ is not None:
            coef, intercept = self.resolution_model_
            confidence = 1.0 / (1.0 + np.exp(-(x @ coef + intercept)))
        else:  # nothing to calibrate on: half the similarity, a rough guide only
            confidence = 0.5 * np.clip(np.maximum(x[:, 0], x[:, 1]), 0.0, 1.0)
        order = np.argsort(-confidence, kind="stable")
        keys = [self.resolution_keys_[int(scope.past[q])] for q in pool]
        nearest = near.nearest(self.neighbours, scope.resolvable)
        near_keys = [self.resolution_keys_[int(scope.past[q])] for q in nearest]
        out: list[Suggestion] = []
        shown: set[str] = set()
        for j in order.tolist():
            if len(out) >= int(self.resolutions):
                break
            if keys[j] in shown:
                continue
            shown.add(keys[j])
            item = self.past_[int(scope.past[pool[j]])]
            alike = [
                self.past_[int(scope.past[q])].interaction
                for q, key in zip(nearest, near_keys, strict=True)
                if key == keys[j] and self.past_[int(scope.past[q])].interaction != item.interaction
            ]
            about = f" about {item.reason}" if item.reason else ""
            count = 1 + len(alike)
            why = (
                f"resolved {plural(count, 'similar past contact')}{about}"
                if count > 1
                else f"resolved the most similar past contact{about}"
                if j == 0
                else f"resolved a similar past contact{about}"
            )
            used = int(self.past_article_[scope.past[pool[j]]])
            out.append(
                Suggestion(
                    kind="resolution",
                    id=item.interaction,
                    title=f"How a similar contact{about} was resolved",
                    confidence=float(confidence[j]),
                    why=why + note,
                    url=self.articles_[used].url if used >= 0 else None,
                    text=(item.resolution or "")[:SNIPPET],
                    evidence=(item.interaction, *alike[:4]),
                )
            )
        return out

    def _resolution_key(self, past: int) -> str:
        """Past contacts resolved the same way: the same article, else the same words."""
        item = self.past_[past]
        if self.past_article_[past] >= 0:
            return f"article:{self.past_article_[past]}"
        return "text:" + " ".join((item.resolution or "").lower().split())
