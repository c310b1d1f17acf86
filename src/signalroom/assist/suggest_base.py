"""What the suggesters share, and the baseline: `BM25Suggester`, BM25 over the articles' words.

`signalroom.assist.suggest` is the module to import (it re-exports what is public here).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from signalroom.assist.ranking import IntArray, softmax, stem, words
from signalroom.assist.types import Article, PastResolution, Suggestion

Turn = tuple[str, str]
SNIPPET = 280  # characters of an article's body (or a past resolution) shown with a suggestion


_WORD = re.compile(r"[a-z0-9]+")


class SuggestError(ValueError):
    """A bad parameter or input: the message says which and why."""


def conversation_words(turns: Sequence[Turn], agent_weight: float) -> tuple[list[str], list[float], list[str]]:
    """The conversation's words and their weights (agent turns count agent_weight), and its texts."""
    tokens: list[str] = []
    weights: list[float] = []
    texts: list[str] = []
    for turn in turns:
        if not isinstance(turn, tuple | list) or len(turn) != 2:
            raise SuggestError(f"a turn is a (speaker, text) pair, got {turn!r}")
        speaker, text = turn
        if not isinstance(text, str):
            raise SuggestError(f"a turn's text must be a string, got {type(text).__name__}")
        weight = agent_weight if str(speaker).lower() == "agent" else 1.0
        if weight <= 0 or not text.strip():
            continue
        found = words(text)
        tokens.extend(found)
        weights.extend([weight] * len(found))
        texts.append(text)
    return tokens, weights, texts


def check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise SuggestError(f"k must be a whole number of at least 1, got {k!r}")


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def surface_forms(texts: Iterable[str]) -> dict[str, str]:
    """Stemmed word -> the first way the conversation wrote it (for the why)."""
    found: dict[str, str] = {}
    for text in texts:
        for word in _WORD.findall(text.lower()):
            found.setdefault(stem(word), word)
    return found


def check_records(articles: Sequence[Article], past: Sequence[PastResolution]) -> None:
    seen: set[str] = set()
    for article in articles:
        if not isinstance(article, Article):
            raise SuggestError(f"articles must be Article records, got {type(article).__name__}")
        if article.id in seen:
            raise SuggestError(f"article id {article.id!r} appears twice in the knowledge base")
        seen.add(article.id)
    for item in past:
        if not isinstance(item, PastResolution):
            raise SuggestError(f"past must be PastResolution records, got {type(item).__name__}")


class Params:
    """get_params/set_params from the constructor's keyword arguments (scikit-learn's convention)."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Params:
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise SuggestError(f"{type(self).__name__} has no parameter {name!r}: it has {', '.join(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class BM25Suggester(Params):
    """The baseline: BM25 (the bm25s package) over each article's title and body, candidates kept
    to the conversation's collection; confidence = softmax of the candidates' scores.

    `expand=True` adds to each article the text of the past conversations it resolved (document
    expansion). Words are those of `signalroom.assist.ranking.words`, as for `Suggester`.
    `agent_weight=0` leaves agent turns out; any other value counts them like the customer's
    (bm25s weighs every query word alike). A conversation that matches no article's words gets no
    suggestion. An unknown collection searches every article, and the why says so.
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75, expand: bool = False, agent_weight: float = 1.0) -> None:
        self.k1 = k1
        self.b = b
        self.expand = expand
        self.agent_weight = agent_weight

    def fit(self, articles: Sequence[Article], past: Sequence[PastResolution] = ()) -> BM25Suggester:
        import bm25s

        if not float(self.k1) > 0 or not 0.0 <= float(self.b) <= 1.0:
            raise SuggestError(f"k1 must be positive and b between 0 and 1, got k1={self.k1!r}, b={self.b!r}")
        if not 0.0 <= float(self.agent_weight) <= 1.0:
            raise SuggestError(f"agent_weight must be between 0 and 1, got {self.agent_weight!r}")
        check_records(articles, past)
        self.articles_ = list(articles)
        text = [words(f"{a.title} {a.body}") for a in self.articles_]
        if self.expand:
            position = {a.id: i for i, a in enumerate(self.articles_)}
            for item in past:
                if item.article_id in position:
                    text[position[item.article_id]] = text[position[item.article_id]] + words(item.text)
        groups: dict[str | None, list[int]] = {None: list(range(len(self.articles_)))}
        for i, article in enumerate(self.articles_):
            if article.collection is not None:
                groups.setdefault(article.collection, []).append(i)
        self.scopes_: dict[str | None, tuple[IntArray, Any]] = {}
        for key, members in groups.items():
            index = bm25s.BM25(k1=self.k1, b=self.b)
            docs = [text[i] for i in members]
            if any(docs):
                index.index(docs, show_progress=False)
            self.scopes_[key] = (np.array(members, dtype=np.int64), index if any(docs) else None)
        self.article_words_ = [set(t) for t in text]
        return self

    def suggest(
        self, turns: Sequence[Turn], *, collection: str | None = None, reason: str | None = None, k: int = 3
    ) -> list[Suggestion]:
        check_k(k)
        if not hasattr(self, "scopes_"):
            raise SuggestError("BM25Suggester is not fitted: call fit(articles, past) first")
        tokens, _, texts = conversation_words(turns, self.agent_weight)
        note = ""
        if collection not in self.scopes_:
            note = f" (searched every collection: {collection!r} is unknown)"
        members, index = self.scopes_.get(collection, self.scopes_[None])
        if not tokens or index is None:
            return []
        scores = np.asarray(index.get_scores(tokens), dtype=np.float64)
        order = np.argsort(-scores, kind="stable")[:k]
        order = order[scores[order] > 0]
        confidence = softmax(scores)[order]
        surface = surface_forms(texts)
        out = []
        for i, c in zip(order.tolist(), confidence.tolist(), strict=True):
            article = self.articles_[int(members[i])]
            hits = [surface.get(t, t) for t in dict.fromkeys(tokens) if t in self.article_words_[int(members[i])]]
            out.append(
                Suggestion(
                    kind="article",
                    id=article.id,
                    title=article.title or article.id,
                    confidence=float(c),
                    why="matches words: " + ", ".join(hits[:5]) + note,
                    url=article.url,
                    text=article.body[:SNIPPET] or None,
                )
            )
        return out
