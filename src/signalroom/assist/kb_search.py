"""BM25 search over knowledge articles (docs/knowledge.md#search), with ``bm25s``: what `kb search`,
the API's ``?q=`` and the knowledge suggestions of real-time assist rank articles by."""

from __future__ import annotations

import re
from collections.abc import Iterable

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from signalroom.assist.types import Article

# A title says what the article is about in few words: its words count as if written this many times.
TITLE_WEIGHT = 2
_WORD = re.compile(r"[^\W_]+")
STOP_WORDS = frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lowercase words (letters and digits), without English stop words: the same for articles
    and queries, and the same on every run."""
    return [w for w in _WORD.findall(text.casefold()) if w not in STOP_WORDS]


class KnowledgeIndex:
    """A BM25 index of articles (title weighted over body), built once and searched many times."""

    def __init__(self, articles: Iterable[Article]) -> None:
        self.articles = list(articles)
        documents = [tokenize(a.title) * TITLE_WEIGHT + tokenize(a.body) for a in self.articles]
        self._bm25: bm25s.BM25 | None = None
        self._vocabulary: frozenset[str] = frozenset()
        if any(documents):
            self._bm25 = bm25s.BM25()
            self._bm25.index(documents, show_progress=False)
            self._vocabulary = frozenset(self._bm25.vocab_dict) - {""}

    def __len__(self) -> int:
        return len(self.articles)

    def search(self, query: str, k: int = 5, collection: str | None = None) -> list[tuple[Article, float]]:
        """The ``k`` best articles for ``query`` with their BM25 scores, best first (ties: by id);
        only those of ``collection`` when given. Articles that share no word with the query are
        never returned, so an empty index or a query of unknown words finds nothing."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        terms = [t for t in tokenize(query) if t in self._vocabulary]
        if self._bm25 is None or not terms:
            return []
        scores = np.asarray(self._bm25.get_scores(terms), dtype=np.float64)
        found = [
            i for i in np.flatnonzero(scores > 0).tolist()
            if collection is None or self.articles[i].collection == collection
        ]  # fmt: skip
        found.sort(key=lambda i: (-scores[i], self.articles[i].id))
        return [(self.articles[i], float(scores[i])) for i in found[:k]]
