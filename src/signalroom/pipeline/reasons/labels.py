"""Readable topic labels: class-based TF-IDF over uni- and bi-grams (English stopwords removed).

Each topic's documents are pooled into one; a term scores ``tf(term, topic) * log(1 + A / f(term))``
with ``A`` the mean number of words per topic and ``f`` the term's frequency over all topics (the
c-TF-IDF of BERTopic). The label joins the best two or three phrases, skipping words already
inside a better-ranked bigram.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# Words that say nothing about a contact reason, on top of scikit-learn's English list.
EXTRA_STOP = frozenset(
    (
        "hi",
        "hello",
        "hey",
        "hiya",
        "thanks",
        "thank",
        "cheers",
        "please",
        "just",
        "like",
        "want",
        "need",
        "know",
        "help",
        "im",
        "ive",
        "dont",
        "cant",
        "wanna",
        "gonna",
        "ok",
        "okay",
        "yes",
        "yeah",
        "um",
        "uh",
        "hmm",
        "really",
        "sure",
        "got",
        "get",
        "did",
        "does",
        "doing",
        "tell",
        "trying",
        "able",
    )
)
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z']+\b"


def _clean(text: str) -> str:
    return re.sub(r"[’`]", "'", text.lower())


def keywords(texts: list[str], labels: NDArray[np.int64], k: int, top: int = 10) -> list[list[tuple[str, float]]]:
    """Top c-TF-IDF terms of each label 0..k-1 (labels < 0 ignored)."""
    out: list[list[tuple[str, float]]] = [[] for _ in range(k)]
    keep = [i for i, lab in enumerate(labels) if lab >= 0]
    if not keep or k == 0:
        return out
    vec = CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(ENGLISH_STOP_WORDS | EXTRA_STOP),
        token_pattern=_TOKEN,
        preprocessor=_clean,
        min_df=1,
    )
    try:
        counts = vec.fit_transform([texts[i] for i in keep])
    except ValueError:  # only stopwords
        return out
    lab = labels[keep]
    onehot = np.zeros((k, len(keep)), dtype=np.float64)
    onehot[lab, np.arange(len(keep))] = 1.0
    tf = np.asarray((counts.T @ onehot.T).T)  # k x terms
    tf = tf / np.maximum(tf.sum(axis=1, keepdims=True), 1.0)
    freq = np.asarray(counts.sum(axis=0)).ravel()
    avg_words = counts.sum() / k
    score = tf * np.log1p(avg_words / np.maximum(freq, 1.0))
    terms = vec.get_feature_names_out()
    for t in range(k):
        order = np.argsort(-score[t])[:top]
        out[t] = [(str(terms[j]), round(float(score[t, j]), 6)) for j in order if score[t, j] > 0]
    return out


def label_from(keys: list[tuple[str, float]], parts: int = 3) -> str:
    """A short readable name from ranked key phrases: bigrams win over the words inside them."""
    chosen: list[str] = []
    for term, _ in keys:
        words = set(term.split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        inside = [c for c in chosen if set(c.split()) < words]
        if inside:
            chosen[chosen.index(inside[0])] = term
            chosen = [c for c in chosen if c not in inside[1:]]
            continue
        chosen.append(term)
        if len(chosen) == parts:
            break
    return " · ".join(chosen) if chosen else "(no key phrases)"
