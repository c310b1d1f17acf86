"""Per-candidate features for the learned suggester, computed within one scope (a collection).

A scope holds what a query in one collection is scored against, precomputed at fit time: the
candidate articles (the collection's own, and any article a past contact of it was resolved with),
BM25 over their text, BM25 over their text expanded with the past conversations they resolved,
BM25 over those past conversations, their embeddings, and how often each article was used.
Cross-fitting builds the same scopes from part of the past only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from signalroom.assist.ranking import BM25, FloatArray, IntArray

#: The features, in column order; `Suggester(features=...)` keeps a subset (the others read 0).
FEATURES = (
    "article",  # BM25 of the conversation against the article's own text
    "article_rel",  # the same over its best candidate (1 = the best match)
    "expanded",  # BM25 against the article's text plus the past conversations it resolved
    "expanded_rel",
    "votes",  # the nearest past conversations (BM25) vote for their article, by similarity
    "votes_max",  # the most similar past conversation that the article resolved
    "embedding",  # cosine of the conversation and the article (static embedding)
    "embedding_votes",  # the nearest past conversations by embedding vote for their article
    "embedding_votes_max",
    "prior",  # log share of the collection's past contacts the article resolved
    "reason",  # log share of the past contacts with the given reason it resolved
    "unused",  # 1 if no past contact of the scope was resolved with it
    "article_unused",  # article_rel, for unused articles only (so their text can weigh more)
    "embedding_unused",  # embedding, for unused articles only
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}
SMOOTHING = 0.5  # pseudo-count per candidate in the shares


@dataclass
class Scope:
    articles: IntArray  # global article indices: the candidates
    past: IntArray  # global past indices in this scope
    past_pos: IntArray  # per scope past: its article's position among the candidates, or -1
    article_bm25: BM25
    expanded_bm25: BM25
    past_bm25: BM25
    article_vectors: NDArray[np.float32] | None
    past_vectors: NDArray[np.float32] | None
    counts: FloatArray  # past contacts resolved per candidate
    prior: FloatArray
    reason_counts: dict[str, FloatArray]
    reason_totals: dict[str, int]
    resolvable: NDArray[np.bool_]  # per scope past: its resolution's words are known


def build_scope(
    articles: IntArray,
    past: IntArray,
    *,
    past_article: IntArray,
    past_reason: Sequence[str | None],
    past_resolvable: NDArray[np.bool_],
    article_tokens: Sequence[IntArray],
    past_tokens: Sequence[IntArray],
    article_vectors: NDArray[np.float32] | None,
    past_vectors: NDArray[np.float32] | None,
    n_terms: int,
    k1: float,
    b: float,
) -> Scope:
    used = past_article[past]
    candidates = np.union1d(articles, used[used >= 0]).astype(np.int64)
    position = {int(a): i for i, a in enumerate(candidates)}
    past_pos = np.array([position.get(int(a), -1) for a in used], dtype=np.int64)
    expansion: list[list[IntArray]] = [[article_tokens[a]] for a in candidates]
    for p, pos in zip(past.tolist(), past_pos.tolist(), strict=True):
        if pos >= 0:
            expansion[pos].append(past_tokens[p])
    n = len(candidates)
    counts = np.bincount(past_pos[past_pos >= 0], minlength=n).astype(np.float64)
    reason_counts: dict[str, FloatArray] = {}
    reason_totals: Counter[str] = Counter()
    for p, pos in zip(past.tolist(), past_pos.tolist(), strict=True):
        reason = past_reason[p]
        if reason is not None:
            reason_totals[reason] += 1
            if pos >= 0:
                reason_counts.setdefault(reason, np.zeros(n))[pos] += 1
    return Scope(
        articles=candidates,
        past=past,
        past_pos=past_pos,
        article_bm25=BM25([article_tokens[a] for a in candidates], n_terms, k1=k1, b=b),
        expanded_bm25=BM25([np.concatenate(parts) for parts in expansion], n_terms, k1=k1, b=b),
        past_bm25=BM25([past_tokens[p] for p in past], n_terms, k1=k1, b=b),
        article_vectors=None if article_vectors is None else np.ascontiguousarray(article_vectors[candidates]),
        past_vectors=None if past_vectors is None else np.ascontiguousarray(past_vectors[past]),
        counts=counts,
        prior=np.log((counts + SMOOTHING) / (counts.sum() + SMOOTHING * max(n, 1))),
        reason_counts=reason_counts,
        reason_totals=dict(reason_totals),
        resolvable=past_resolvable[past],
    )


@dataclass
class Neighbours:
    """The scope's past contacts as the query sees them: word and meaning similarity, each in [0, 1]."""

    words: FloatArray  # BM25 over the best one's (1 = the most similar)
    meaning: FloatArray  # cosine, 0 without embeddings

    def nearest(self, m: int, mask: NDArray[np.bool_] | None = None) -> IntArray:
        """Scope positions of the m most similar past contacts (words + meaning), best first."""
        sim = self.words + self.meaning
        if mask is not None:
            sim = np.where(mask, sim, 0.0)
        top = np.argpartition(-sim, m - 1)[:m] if len(sim) > m else np.arange(len(sim))
        top = top[sim[top] > 0]
        out: IntArray = top[np.argsort(-sim[top], kind="stable")]
        return out


def _relative(x: FloatArray) -> FloatArray:
    top = x.max() if len(x) else 0.0
    out: FloatArray = x / top if top > 0 else np.zeros_like(x)
    return out


def _votes(sim: FloatArray, past_pos: IntArray, n: int, m: int) -> tuple[FloatArray, FloatArray]:
    if not len(sim) or m < 1:
        return np.zeros(n), np.zeros(n)
    top = np.argpartition(-sim, m - 1)[:m] if len(sim) > m else np.arange(len(sim))
    top = top[(sim[top] > 0) & (past_pos[top] >= 0)]
    pos = past_pos[top]
    total: FloatArray = np.bincount(pos, weights=sim[top], minlength=n).astype(np.float64)
    best = np.zeros(n)
    np.maximum.at(best, pos, sim[top])
    return total, best


def features(
    scope: Scope,
    ids: IntArray,
    weights: FloatArray,
    vector: NDArray[np.float32] | None,
    reason: str | None,
    *,
    neighbours: int,
    exclude: int = -1,
) -> tuple[FloatArray, Neighbours]:
    """The candidates' feature rows (in FEATURES order) and the past contacts' similarities.

    `exclude`: a scope position of the past never to count (the query itself, when it is one).
    """
    n = len(scope.articles)
    x = np.zeros((n, len(FEATURES)))
    article = scope.article_bm25.scores(ids, weights)
    expanded = scope.expanded_bm25.scores(ids, weights)
    x[:, 0], x[:, 1], x[:, 2], x[:, 3] = article, _relative(article), expanded, _relative(expanded)
    words = _relative(scope.past_bm25.scores(ids, weights))
    if 0 <= exclude < len(words):
        words[exclude] = 0.0
    x[:, 4], x[:, 5] = _votes(words, scope.past_pos, n, neighbours)
    meaning = np.zeros(len(scope.past))
    if vector is not None and scope.article_vectors is not None and scope.past_vectors is not None:
        x[:, 6] = scope.article_vectors @ vector
        meaning = np.maximum(scope.past_vectors @ vector, 0.0).astype(np.float64)
        if 0 <= exclude < len(meaning):
            meaning[exclude] = 0.0
        x[:, 7], x[:, 8] = _votes(meaning, scope.past_pos, n, neighbours)
    x[:, 9] = scope.prior
    x[:, 11] = scope.counts == 0
    x[:, 12] = x[:, 1] * x[:, 11]
    x[:, 13] = x[:, 6] * x[:, 11]
    if reason is not None and reason in scope.reason_totals:
        hits = scope.reason_counts.get(reason, np.zeros(n))
        x[:, 10] = np.log((hits + SMOOTHING) / (scope.reason_totals[reason] + SMOOTHING * max(n, 1)))
    return x, Neighbours(words=words, meaning=meaning)
