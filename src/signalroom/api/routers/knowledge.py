"""/api/v1/knowledge/articles: the knowledge base real-time assist suggests from, as `signalroom kb`
(docs/knowledge.md). Everyone signed in reads it; admins and analysts import and remove articles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Path, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from signalroom.api.deps import CurrentUser, PageDep, StoreDep, allow, client_address
from signalroom.api.services import knowledge as service
from signalroom.assist.knowledge import MAX_ID
from signalroom.assist.types import Article
from signalroom.auth.roles import ANALYSE, EVERYONE

router = APIRouter(prefix="/knowledge/articles", tags=["knowledge"])

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Ids may hold slashes (a Markdown file's path in its folder): the rest of the path is the id.
ArticleId = Annotated[str, Path(description="The article's id (it may contain slashes).")]


class ArticleCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID, pattern=r"^[^\r\n\t]+$", description="Unique in the base.")
    title: str = Field(min_length=1, max_length=1000)
    body: str = Field(min_length=1, max_length=1_000_000, description="Plain text.")
    url: str | None = Field(default=None, max_length=2000)
    collection: str | None = Field(default=None, max_length=200, description="A brand, product line or queue.")
    tags: list[Tag] = Field(default_factory=list, max_length=200)

    def article(self, default_collection: str | None) -> Article:
        return Article(
            id=self.id,
            title=self.title,
            body=self.body,
            url=self.url or None,
            collection=self.collection or default_collection,
            tags=tuple(dict.fromkeys(self.tags)),
        )


class ArticlesImport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleCreate] = Field(min_length=1, max_length=10_000)
    collection: str | None = Field(
        default=None, max_length=200, description="The collection of articles that do not name their own."
    )


@router.get("", operation_id="listKnowledgeArticles", dependencies=[allow(EVERYONE)])
def list_knowledge_articles(
    store: StoreDep,
    params: PageDep,
    collection: Annotated[str | None, Query(max_length=200, description="Only this collection.")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=1000, description="Search: best matches first, with a score.")
    ] = None,
) -> dict[str, Any]:
    """Knowledge articles without their text, in id order, or the best matches for `q` first (BM25
    over title and text, each with its `score`)."""
    return service.list_articles(store, params, collection=collection, q=q)


@router.post("", operation_id="importKnowledgeArticles", dependencies=[allow(ANALYSE)])
def import_knowledge_articles(
    store: StoreDep, user: CurrentUser, request: Request, body: Annotated[ArticlesImport, Body()]
) -> dict[str, Any]:
    """Imports articles given as JSON: a new id is added, a known one updated in place; answers how
    many were added, updated and unchanged. Recorded in the audit log."""
    articles = [a.article(body.collection) for a in body.articles]
    return service.import_articles(store, articles, user=user, client=client_address(request))


@router.post("/upload", operation_id="uploadKnowledgeArticles", dependencies=[allow(ANALYSE)])
def upload_knowledge_articles(
    store: StoreDep,
    user: CurrentUser,
    request: Request,
    file: Annotated[UploadFile, File(description="A Markdown, HTML or JSON file (multipart/form-data).")],
    fmt: Annotated[
        str, Form(alias="format", description="auto (by the file name's extension), markdown, html or json.")
    ] = "auto",
    collection: Annotated[
        str | None, Form(max_length=200, description="The collection of articles that do not name their own.")
    ] = None,
) -> dict[str, Any]:
    """Imports the articles of one uploaded Markdown, HTML or JSON file, as `signalroom kb import`
    does; a file with a problem is refused (422) naming its line, item or field, and nothing is
    stored. Recorded in the audit log."""
    return service.import_upload(
        store, file.file.read(), filename=file.filename, fmt=fmt, collection=collection, user=user,
        client=client_address(request),
    )  # fmt: skip


@router.get("/{article_id:path}", operation_id="getKnowledgeArticle", dependencies=[allow(EVERYONE)])
def get_knowledge_article(store: StoreDep, article_id: ArticleId) -> dict[str, Any]:
    """One knowledge article with its text, where it was imported from and when."""
    return service.get_article(store, article_id)


@router.delete("/{article_id:path}", operation_id="deleteKnowledgeArticle", dependencies=[allow(ANALYSE)])
def delete_knowledge_article(
    store: StoreDep, user: CurrentUser, request: Request, article_id: ArticleId
) -> dict[str, Any]:
    """Removes one knowledge article. Recorded in the audit log."""
    return service.delete_article(store, article_id, user=user, client=client_address(request))
