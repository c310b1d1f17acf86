"""`signalroom kb`: the knowledge base real-time assist suggests articles from (docs/knowledge.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from signalroom.cli.common import DbOption, JsonOption, console, emit_json, fail, open_store

app = typer.Typer(help="The knowledge base: articles imported from Markdown, HTML and JSON.", no_args_is_help=True)

CollectionOption = Annotated[
    str | None, typer.Option("--collection", help="Only this collection (a brand, product line or queue).")
]


def summary(stored: Any) -> dict[str, Any]:
    """An article without its body: what lists show."""
    data: dict[str, Any] = stored.to_dict()
    data.pop("body")
    return data


@app.command("import")
def import_command(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Files or folders (searched recursively).", show_default=False),
    ],
    collection: Annotated[
        str | None,
        typer.Option("--collection", help="The collection of articles that do not name their own.", show_default=False),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto (by extension), markdown, html or json.")
    ] = "auto",
    guidelines: Annotated[
        Path | None,
        typer.Option(
            "--guidelines", help="ABCD guidelines.json: adds each subflow's guideline to its article.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:  # fmt: skip
    """Import articles: a new id is added, a known one updated in place. Nothing is stored unless
    every file is valid."""
    from signalroom.assist.knowledge import KnowledgeError, load_by_file
    from signalroom.store.knowledge import upsert_articles

    try:
        files = load_by_file(paths, fmt=fmt, collection=collection, guidelines=guidelines)
    except KnowledgeError as exc:
        fail(str(exc))
    articles = [a for _, arts in files for a in arts]
    sources = [name for name, arts in files for _ in arts]
    with open_store(db) as store:
        counts = upsert_articles(store, articles, sources)
    if json:
        emit_json({"files": [{"path": n, "articles": len(a)} for n, a in files], "articles": len(articles), **counts})
        return
    console.print(
        f"{len(articles)} article(s) from {len(files)} file(s): {counts['added']} added, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged",
        highlight=False,
    )


@app.command("list")
def list_command(collection: CollectionOption = None, db: DbOption = None, json: JsonOption = False) -> None:
    """Stored articles in id order, without their text (`kb show` prints it)."""
    from signalroom.store.knowledge import list_articles

    with open_store(db, read_only=True) as store:
        stored = list_articles(store, collection)
    if json:
        emit_json({"articles": [summary(s) for s in stored]})
        return
    table = Table(title=f"Knowledge articles: {len(stored)}")
    for column in ("id", "title", "collection", "tags", "source", "updated (UTC)"):
        table.add_column(column, overflow="fold")
    for s in stored:
        a = s.article
        table.add_row(
            escape(a.id), escape(a.title), escape(a.collection or ""), escape(", ".join(a.tags)), escape(s.source),
            f"{s.updated_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    console.print(table)


@app.command("show")
def show_command(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="The article (see `kb list`).")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """One article with its text."""
    from signalroom.store.knowledge import get_article

    with open_store(db, read_only=True) as store:
        stored = get_article(store, article_id)
    if stored is None:
        fail(f"no article {article_id!r}: `signalroom kb list` lists them")
    if json:
        emit_json(stored.to_dict())
        return
    a = stored.article
    typer.echo(f"{a.title}\n")
    for label, value in (("id", a.id), ("url", a.url), ("collection", a.collection), ("tags", ", ".join(a.tags))):
        if value:
            typer.echo(f"{label}: {value}")
    typer.echo(f"source: {stored.source} (imported {stored.imported_at:%Y-%m-%d %H:%M}, "
               f"updated {stored.updated_at:%Y-%m-%d %H:%M} UTC)\n")  # fmt: skip
    typer.echo(a.body)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look for, in words.")],
    collection: CollectionOption = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many articles at most.")] = 5,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The articles that best match a query (BM25 over title and text), best first."""
    from signalroom.assist.kb_search import KnowledgeIndex
    from signalroom.store.knowledge import all_articles

    with open_store(db, read_only=True) as store:
        index = KnowledgeIndex(all_articles(store))
    found = index.search(query, k=k, collection=collection)
    results = [
        {"rank": rank, "score": round(score, 4), **{f: v for f, v in a.to_dict().items() if f != "body"}}
        for rank, (a, score) in enumerate(found, start=1)
    ]
    if json:
        emit_json({"query": query, "results": results})
        return
    if not results:
        console.print(f"no article matches {query!r}" + (f" in collection {collection!r}" if collection else ""),
                      highlight=False)  # fmt: skip
        return
    table = Table(title=f"Knowledge articles for {escape(repr(query))}")
    for column in ("#", "score", "id", "title", "collection"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            str(r["rank"]), f"{r['score']:.3f}", escape(r["id"]), escape(r["title"]), escape(r["collection"] or "")
        )
    console.print(table)


@app.command("remove")
def remove_command(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="The article (see `kb list`).")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Remove one article from the knowledge base."""
    from signalroom.store.knowledge import delete_article

    with open_store(db) as store:
        removed = delete_article(store, article_id)
    if not removed:
        fail(f"no article {article_id!r}: `signalroom kb list` lists them")
    if json:
        emit_json({"id": article_id, "removed": True})
        return
    console.print(f"article {escape(repr(article_id))} removed", highlight=False)
