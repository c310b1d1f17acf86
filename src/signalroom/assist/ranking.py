"""The parts the suggesters are built from: words, a sparse BM25, a conditional logit, calibration.

Everything here is plain numpy/scipy and deterministic; `suggest.py` puts it together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.special import logsumexp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_LINK = re.compile(r"(?:https?://|www\.)\S+")
_HANDLE = re.compile(r"@\w+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
#: English function words, and what chat and social messages say around the problem.
_CHAT_WORDS = (
    "hi hello hey thanks thank thx pls plz please dm dms im ive id ill dont didnt doesnt cant wont isnt "
    "arent wasnt ok okay yes yeah just got really know let like lol need want tried trying try help "
    "guys team support ur pm am today day still"
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset(_CHAT_WORDS.split())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English suffix stripper: plurals, -ing, -ed (enough to match "crashes" to "crash")."""
    if len(word) <= 3 or word[-1].isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":  # stopp(ed) -> stop
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """A text's content words, stemmed: links, @handles, stop words and pure numbers dropped."""
    text = _CAMEL.sub(" ", _HANDLE.sub(" ", _LINK.sub(" ", text))).lower()
    return [stem(w) for w in _WORD.findall(text) if len(w) > 1 and w not in STOP_WORDS and not w.isdigit()]


class Vocabulary:
    """Word -> id, grown during fit and frozen after: unknown words are dropped from queries."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.index)

    def add(self, tokens: Sequence[str]) -> IntArray:
        index = self.index
        return np.fromiter((index.setdefault(t, len(index)) for t in tokens), dtype=np.int64, count=len(tokens))

    def lookup(self, tokens: Sequence[str], weights: Sequence[float] | None = None) -> tuple[IntArray, FloatArray]:
        """The known words' ids (each once) and summed weights (default 1 per occurrence)."""
        found: dict[int, float] = {}
        index = self.index
        for i, token in enumerate(tokens):
            term = index.get(token)
            if term is not None:
                found[term] = found.get(term, 0.0) + (1.0 if weights is None else weights[i])
        ids = np.fromiter(found.keys(), dtype=np.int64, count=len(found))
        return ids, np.fromiter(found.values(), dtype=np.float64, count=len(found))


class BM25:
    """Okapi BM25 over documents given as arrays of term ids, stored term-major (CSR) so that a
    query costs one gather and one bincount over the postings of its own terms."""

    def __init__(self, docs: Sequence[IntArray], n_terms: int, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.n_docs = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        flat = np.concatenate([np.asarray(d, dtype=np.int64) for d in docs]) if docs else np.zeros(0, np.int64)
        doc_of = np.repeat(np.arange(self.n_docs, dtype=np.int64), lengths.astype(np.int64))
        pairs, tf = np.unique(flat * max(self.n_docs, 1) + doc_of, return_counts=True)
        terms, doc = np.divmod(pairs, max(self.n_docs, 1))
        df = np.bincount(terms, minlength=n_terms).astype(np.float64)
        idf = np.log1p((self.n_docs - df + 0.5) / (df + 0.5))
        avg = lengths.mean() if self.n_docs and lengths.mean() > 0 else 1.0
        norm = k1 * (1.0 - b + b * lengths[doc] / avg)
        self.data = idf[terms] * tf * (k1 + 1.0) / (tf + norm)
        self.docs = doc
        self.indptr = np.concatenate([[0], np.cumsum(df.astype(np.int64))])
        self.n_terms = n_terms

    def scores(self, ids: IntArray, weights: FloatArray) -> FloatArray:
        """Every document's score for the query (ids of known terms, weight per term)."""
        if not self.n_docs or not len(ids):
            return np.zeros(self.n_docs)
        known = ids < self.n_terms
        ids, weights = ids[known], weights[known]
        starts, ends = self.indptr[ids], self.indptr[ids + 1]
        counts = ends - starts
        total = int(counts.sum())
        if not total:
            return np.zeros(self.n_docs)
        take = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
        w = np.repeat(weights, counts)
        out: FloatArray = np.bincount(self.docs[take], weights=self.data[take] * w, minlength=self.n_docs).astype(
            np.float64, copy=False
        )
        return out


def softmax(x: FloatArray) -> FloatArray:
    e = np.exp(x - x.max())
    out: FloatArray = e / e.sum()
    return out


_HASH = np.random.default_rng(0).standard_normal(64)


def compress(x: FloatArray, right: int) -> tuple[FloatArray, FloatArray] | None:
    """One query's candidates for `fit_conditional_logit`: the right one's row first, then each
    distinct other row once, with how many candidates share it (most of those nothing matched
    are alike). None when the right answer is not among them or there is nothing to choose."""
    if not (0 <= right < len(x)) or len(x) < 2:
        return None
    others = np.delete(x, right, axis=0)
    _, first, counts = np.unique(others @ _HASH[: x.shape[1]], return_index=True, return_counts=True)
    return np.vstack([x[right : right + 1], others[first]]), np.concatenate([[1.0], counts.astype(np.float64)])


def fit_conditional_logit(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    *,
    l2: float = 1.0,
    n_features: int,
    start: FloatArray | None = None,
    iterations: int = 50,
) -> FloatArray:
    """Weights w maximising sum over queries of log softmax(X_q w)[right] - l2/2 |w|^2.

    Each group is one query from `compress`: its candidates' feature rows (the right one first)
    and their multiplicities. A candidate's probability is the softmax of its linear score within
    its own query, so only differences between candidates of a query matter (a per-query
    constant has no effect). Newton's method with the exact Hessian and step halving: the
    problem is convex with a handful of weights, so a few iterations reach the optimum,
    deterministically.
    """
    sizes = [len(g[0]) for g in groups]
    w = np.zeros(n_features) if start is None else np.array(start, dtype=np.float64)
    if not sizes:
        return w
    x = np.vstack([g[0] for g in groups])
    log_count = np.log(np.concatenate([g[1] for g in groups]))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    right = x[starts].sum(axis=0)
    group_of = np.repeat(np.arange(len(sizes)), sizes)

    def objective(w: FloatArray) -> tuple[float, FloatArray]:
        s = x @ w + log_count
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[group_of])
        z = np.add.reduceat(e, starts)
        return float(np.sum(top + np.log(z)) - right @ w + 0.5 * l2 * w @ w), e / z[group_of]

    value, p = objective(w)
    for _ in range(iterations):
        grad = p @ x - right + l2 * w
        per_group = csr_matrix((p, (group_of, np.arange(len(p)))), shape=(len(sizes), len(p))) @ x
        hessian = (x.T * p) @ x - per_group.T @ per_group + l2 * np.eye(n_features)
        step = np.linalg.solve(hessian, grad)
        size = 1.0
        while size > 1e-6:
            candidate = w - size * step
            new_value, new_p = objective(candidate)
            if new_value <= value:
                break
            size /= 2
        else:
            break
        converged = value - new_value < 1e-10 * max(1.0, abs(value))
        w, value, p = candidate, new_value, new_p
        if converged:
            break
    return w


def log_softmax(scores: FloatArray) -> FloatArray:
    out: FloatArray = scores - logsumexp(scores)
    return out


class Calibrator:
    """Maps a model's probability to a calibrated one: Platt (a logistic curve on the log-odds),
    isotonic, or none. Fitted on cross-fitted (never in-sample) probabilities; monotone, so the
    order of suggestions never changes."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.model: Any = None

    def fit(self, p: FloatArray, correct: NDArray[np.bool_]) -> Calibrator:
        if self.method == "none" or len(np.unique(correct)) < 2:
            self.model = None
            return self
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, correct)
        else:
            from sklearn.linear_model import LogisticRegression

            self.model = LogisticRegression(C=100.0).fit(_logit(p)[:, None], correct)
        return self

    def __call__(self, p: FloatArray) -> FloatArray:
        if self.model is None:
            return np.clip(p, 0.0, 1.0)
        if self.method == "isotonic":  # the fitted steps, interpolated as predict() would
            out: FloatArray = np.interp(p, self.model.X_thresholds_, self.model.y_thresholds_)
            return out
        # the fitted curve, written out: predict_proba costs more than the arithmetic
        a, b = float(self.model.coef_[0, 0]), float(self.model.intercept_[0])
        if a < 0:  # a curve that falls would reverse the ranking: keep the order, say nothing more
            return np.full(len(p), float(np.mean(self.model.predict_proba(_logit(p)[:, None])[:, 1])))
        out = 1.0 / (1.0 + np.exp(-(a * _logit(p) + b)))
        return out


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    out: FloatArray = np.log(q / (1 - q))
    return out


def expected_calibration_error(confidence: FloatArray, correct: NDArray[np.bool_], bins: int = 10) -> float:
    """Equal-width bins: the share-weighted gap between mean confidence and accuracy."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if not len(confidence):
        return 0.0
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)
