"""The knowledge base through the API, as `signalroom kb` does it: listing and searching articles,
importing them from JSON or an uploaded file, removing them. Imports and removals are audited."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from signalroom.api import cache
from signalroom.api.deps import PageParams, page
from signalroom.api.errors import ApiError
from signalroom.assist.kb_search import KnowledgeIndex
from signalroom.assist.knowledge import FORMATS, KnowledgeError, decode, parse_document
from signalroom.assist.types import Article
from signalroom.auth import audit
from signalroom.auth.users import User
from signalroom.store import knowledge as kb
from signalroom.store.warehouse import Store

# What an import made with a JSON body is recorded as having come from.
API_SOURCE = "api"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def summary(stored: kb.StoredArticle) -> dict[str, Any]:
    """An article without its text: what lists answer (the article itself has it)."""
    data = stored.to_dict()
    data.pop("body")
    return data


def _index(store: Store) -> KnowledgeIndex:
    # Keyed by the articles' own fingerprint: the warehouse's data version does not follow them.
    return cache.cached(store, ("kb.index", kb.fingerprint(store)), lambda: KnowledgeIndex(kb.all_articles(store)))


def list_articles(store: Store, params: PageParams, *, collection: str | None, q: str | None) -> dict[str, Any]:
    """A page of articles in id order or, with ``q``, of those matching it, best first, each with its
    BM25 ``score``."""
    if q is None:
        stored = kb.list_articles(store, collection, limit=params.limit, offset=params.offset)
        return page([summary(s) for s in stored], kb.count_articles(store, collection), params)
    index = _index(store)
    found = index.search(q, k=max(1, len(index)), collection=collection)
    chosen = found[params.offset : params.offset + params.limit]
    items = []
    for article, score in chosen:
        found_stored = kb.get_article(store, article.id)
        if found_stored is not None:
            items.append({**summary(found_stored), "score": round(score, 4)})
    return page(items, len(found), params)


def get_article(store: Store, article_id: str) -> dict[str, Any]:
    stored = kb.get_article(store, article_id)
    if stored is None:
        raise ApiError(404, f"no knowledge article {article_id!r}")
    return stored.to_dict()


def _duplicates(articles: list[Article]) -> None:
    first: dict[str, int] = {}
    for i, article in enumerate(articles):
        if article.id in first:
            message = f"articles[{i}]: article id {article.id!r} is already used by articles[{first[article.id]}]"
            raise ApiError(422, message, fields=[{"location": f"body.articles[{i}].id", "problem": message}])
        first[article.id] = i


def _store(store: Store, articles: list[Article], source: str, user: User, client: str | None) -> dict[str, Any]:
    counts = kb.upsert_articles(store, articles, source)
    audit.record(store, user, action="settings_change", resource="knowledge base",
                 detail={"source": source, "articles": len(articles), **counts}, client=client)  # fmt: skip
    return {"source": source, "articles": len(articles), **counts, "ids": [a.id for a in articles]}


def import_articles(store: Store, articles: list[Article], *, user: User, client: str | None = None) -> dict[str, Any]:
    """Store articles given as JSON: a new id is added, a known one updated in place."""
    _duplicates(articles)
    return _store(store, articles, API_SOURCE, user, client)


def file_name(name: str | None) -> str:
    """The upload's own name, made safe: its extension tells the format, its stem the id."""
    cleaned = _SAFE_NAME.sub("_", Path(name or "").name).strip("._")
    return cleaned[:120] or "upload"


def import_upload(
    store: Store, content: bytes, *, filename: str | None, fmt: str, collection: str | None, user: User,
    client: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Store the articles of one uploaded Markdown, HTML or JSON file; a file that cannot be read
    whole is refused (422) with the problem's line, item or field, and nothing is stored."""
    if fmt not in FORMATS:
        message = f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}"
        raise ApiError(422, message, fields=[{"location": "body.format", "problem": message}])
    name = file_name(filename)
    try:
        articles = parse_document(decode(content, name), name, fmt=fmt, collection=collection or None)
    except KnowledgeError as exc:
        raise ApiError(422, str(exc), fields=[{"location": "body.file", "problem": str(exc)}]) from None
    return _store(store, articles, name, user, client)


def delete_article(store: Store, article_id: str, *, user: User, client: str | None = None) -> dict[str, Any]:
    if not kb.delete_article(store, article_id):
        raise ApiError(404, f"no knowledge article {article_id!r}")
    audit.record(store, user, action="settings_change", resource=f"knowledge article {article_id}",
                 detail={"removed": article_id}, client=client)  # fmt: skip
    return {"id": article_id, "removed": True}
