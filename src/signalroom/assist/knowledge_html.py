"""Knowledge articles from HTML pages (docs/knowledge.md#html), with the standard library's parser:
the title, the visible text and the page's own address."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from signalroom.assist.knowledge import checked, tidy, without_title
from signalroom.assist.types import Article

# Never shown as the page's text: code, styling, and the site's navigation around the article.
_HIDDEN = frozenset({"script", "style", "nav", "noscript", "template"})
# Elements set apart from what surrounds them by a blank line, and those on a line of their own.
_PARAGRAPHS = frozenset({
    "address", "article", "aside", "blockquote", "details", "dl", "fieldset", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "ol", "p", "pre", "section", "table", "ul",
})  # fmt: skip
_LINES = frozenset({"br", "dd", "div", "dt", "figcaption", "li", "summary", "tr"})
_CELLS = frozenset({"td", "th"})
_SPACE = re.compile(r"\s+")


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self.canonical: str | None = None
        self.og_url: str | None = None
        self.keywords: str | None = None
        self._hidden = 0
        self._pre = 0
        # Line breaks owed before the next text: boundaries next to each other make one break.
        self._breaks = 0
        self._in_title = False
        self._title_done = False
        self._in_h1 = False
        self._h1_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k.lower(): (v or "") for k, v in attrs}
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "title" and not self._title_done:
            self._in_title = True
        elif tag == "h1" and not self._h1_done:
            self._in_h1 = True
        elif tag == "pre":
            self._pre += 1
        elif tag == "link" and "canonical" in found.get("rel", "").lower().split() and self.canonical is None:
            self.canonical = found.get("href", "").strip() or None
        elif tag == "meta":
            if found.get("property", "").lower() == "og:url" and self.og_url is None:
                self.og_url = found.get("content", "").strip() or None
            elif found.get("name", "").lower() == "keywords" and self.keywords is None:
                self.keywords = found.get("content", "")
        self._boundary(tag, start=True)

    def _boundary(self, tag: str, *, start: bool) -> None:
        if tag in _PARAGRAPHS:
            self._breaks = 2
        elif tag in _LINES:
            self._breaks = max(self._breaks, 1)
        elif tag in _CELLS and start and self.text and not self._breaks:
            self.text.append("  ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <meta …/>: nothing to close, so a hidden element's count must not grow.
        if tag not in _HIDDEN:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag == "title" and self._in_title:
            self._in_title, self._title_done = False, True
        elif tag == "h1" and self._in_h1:
            self._in_h1, self._h1_done = False, True
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        self._boundary(tag, start=False)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
            return
        if self._hidden:
            return
        if self._in_h1:
            self.h1.append(data)
        # Outside <pre>, any run of whitespace in the source is one space on the page.
        text = data if self._pre else _SPACE.sub(" ", data)
        if self._breaks:
            if not text.strip():
                return
            self.text.append("\n" * self._breaks)
            self._breaks = 0
        self.text.append(text)


def html_article(text: str, name: str, default_id: str, collection: str | None) -> Article:
    """One article from an HTML page: title from ``<title>``, else the first ``<h1>``, else the
    file name; the visible text without scripts, styles and navigation; the canonical link or
    ``og:url`` as its address; ``<meta name="keywords">`` as its tags."""
    page = _Page()
    page.feed(text)
    page.close()
    title = " ".join("".join(page.title).split()) or " ".join("".join(page.h1).split()) or Path(name).stem
    body = tidy(line.strip() for line in "".join(page.text).strip().splitlines())
    tags = [t.strip() for t in (page.keywords or "").split(",") if t.strip()]
    return checked(
        Article(
            id=default_id,
            title=title,
            body=without_title(body, title),
            url=page.canonical or page.og_url,
            collection=collection,
            tags=tuple(dict.fromkeys(tags)),
        ),
        name,
    )
