"""Storage of the knowledge base (``sql/0018_knowledge.sql``): articles keyed by their id, so that
importing an article again updates it in place instead of adding a second copy."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from signalroom.assist.types import Article
from signalroom.store.sql_util import fetch_one
from signalroom.store.warehouse import Store

_COLUMNS = "id, title, body, url, collection, tags, source, imported_at, updated_at"


@dataclass(frozen=True)
class StoredArticle:
    """An article as the warehouse keeps it: where it was last imported from, and when."""

    article: Article
    source: str
    imported_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.article.to_dict(),
            "source": self.source,
            "imported_at": self.imported_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def content_hash(article: Article) -> str:
    """A digest of everything an import sets: equal digests, nothing to update."""
    fields = [article.title, article.body, article.url, article.collection, list(article.tags)]
    return hashlib.sha256(orjson.dumps(fields)).hexdigest()


def _stored(row: tuple[Any, ...]) -> StoredArticle:
    article_id, title, body, url, collection, tags, source, imported_at, updated_at = row
    article = Article(str(article_id), str(title), str(body), url, collection, tuple(tags))
    return StoredArticle(article, str(source), imported_at, updated_at)


def upsert_articles(
    store: Store, articles: Sequence[Article], source: str | Sequence[str], *, now: datetime | None = None
) -> dict[str, int]:
    """Store articles in one transaction: a new id is added, a stored one is updated in place when
    its content or source changed, else left as it is. ``source``: the file they came from, one
    for all or one per article. How many were added, updated and unchanged."""
    sources = [source] * len(articles) if isinstance(source, str) else list(source)
    if len(sources) != len(articles):
        raise ValueError(f"{len(articles)} articles but {len(sources)} sources")
    ids = [a.id for a in articles]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        # Two articles with one id in one call: one would silently replace the other.
        raise ValueError(f"article id(s) given more than once: {', '.join(map(repr, repeated))}")
    when = now or datetime.now(UTC)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    with store.transaction():
        con = store.connection
        stored = {
            str(i): (str(h), str(s))
            for i, h, s in con.execute(
                "SELECT id, content_sha256, source FROM kb_articles WHERE list_contains(?, id)", [ids]
            ).fetchall()
        }
        added, updated = [], []
        for article, src in zip(articles, sources, strict=True):
            digest = content_hash(article)
            row = [article.title, article.body, article.url, article.collection, list(article.tags), src, digest]
            if article.id not in stored:
                added.append([article.id, *row, when, when])
            elif stored[article.id] != (digest, src):
                updated.append([*row, when, article.id])
            else:
                counts["unchanged"] += 1
        if added:
            con.executemany(
                "INSERT INTO kb_articles (id, title, body, url, collection, tags, source, content_sha256, imported_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                added,
            )
        if updated:
            con.executemany(
                "UPDATE kb_articles SET title = ?, body = ?, url = ?, collection = ?, tags = ?, source = ?, "
                "content_sha256 = ?, updated_at = ? WHERE id = ?",
                updated,
            )
    counts["added"], counts["updated"] = len(added), len(updated)
    return counts


def _where(collection: str | None) -> tuple[str, list[Any]]:
    return ("WHERE collection = ?", [collection]) if collection is not None else ("", [])


def list_articles(
    store: Store, collection: str | None = None, *, limit: int | None = None, offset: int = 0
) -> list[StoredArticle]:
    """Stored articles in id order; ``collection``: only that collection's."""
    where, params = _where(collection)
    page = " LIMIT ? OFFSET ?" if limit is not None else " OFFSET ?"
    params += [limit, offset] if limit is not None else [offset]
    rows = store.connection.execute(f"SELECT {_COLUMNS} FROM kb_articles {where} ORDER BY id{page}", params)
    return [_stored(r) for r in rows.fetchall()]


def count_articles(store: Store, collection: str | None = None) -> int:
    where, params = _where(collection)
    return int(fetch_one(store.connection, f"SELECT count(*) FROM kb_articles {where}", params)[0])


def get_article(store: Store, article_id: str) -> StoredArticle | None:
    rows = store.connection.execute(f"SELECT {_COLUMNS} FROM kb_articles WHERE id = ?", [article_id]).fetchall()
    return _stored(rows[0]) if rows else None


def delete_article(store: Store, article_id: str) -> bool:
    """Remove one article; False when there was none with that id."""
    rows = store.connection.execute("DELETE FROM kb_articles WHERE id = ? RETURNING id", [article_id]).fetchall()
    return bool(rows)


def all_articles(store: Store, collection: str | None = None) -> list[Article]:
    """Every stored article (of ``collection`` when given), in id order: what search indexes."""
    return [s.article for s in list_articles(store, collection)]


def collections(store: Store) -> dict[str | None, int]:
    """How many articles each collection has (None: those in no collection)."""
    rows = store.connection.execute(
        "SELECT collection, count(*) FROM kb_articles GROUP BY collection ORDER BY collection NULLS FIRST"
    ).fetchall()
    return {c: int(n) for c, n in rows}


def fingerprint(store: Store) -> tuple[object, ...]:
    """Changes whenever any article is added, changed or removed: what a search index built from
    the stored articles is cached under."""
    row = fetch_one(
        store.connection,
        "SELECT count(*), max(updated_at), bit_xor(hash(id || content_sha256 || source)) FROM kb_articles",
    )
    return tuple(row)
