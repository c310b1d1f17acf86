"""The IBM Twitter customer-care set for conversational document prediction, read as assist records.

Evaluation only: nothing here ships in the package, and the data is read from ../shared at run
time (`DATA`). The protocol (docs/performance.md#assist-suggestions):

* articles: one per doc id of docID_url.tsv. No document text is shipped, so an article's words
  are the words of its URL: the web.archive.org prefix, the domain, the query string and locale
  codes dropped, the path (and #fragment) split on / - _ . and camelCase, pure numbers and ids
  dropped. Its collection is the brand that company_docIDs.tsv lists it under (None if none).
* the past: dev.json, one PastResolution per conversation: its turns, the article the agent sent
  (agentURL.doc_id), and the agent's words with the link (its resolution, link and handles removed).
* the cases: test.json, each with its brand (dialogHeader.company) and the labelled doc id, cut two
  ways: the first customer turn only, and every turn of dialogContent.

Doc ids are compared as numbers: the conversations write some zero-padded ("0526" is doc 526).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from signalroom.assist.types import Article, PastResolution

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ibm-twitter-customer-care-cdp"

_ARCHIVE = re.compile(r"^https?://web\.archive\.org/web/[0-9a-z_]+/", re.I)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_LINK = re.compile(r"https?://\S+")
_HANDLE = re.compile(r"@\w+")
#: Path words that say nothing about the content: file types, locales, site furniture.
_NOISE_WORDS = (
    "http https www com net org html htm php aspx asp action jsp en us gb uk in au ca es fr de "
    "hc kb answer answers article articles node document index page pages"
)
_URL_NOISE = frozenset(_NOISE_WORDS.split())

Turns = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Case:
    """One test conversation: its turns (speaker, text), its brand, and the doc id the agent sent."""

    id: str
    turns: Turns
    collection: str
    label: str

    def first_customer_turn(self) -> Turns:
        first = next((turn for turn in self.turns if turn[0] == "customer"), None)
        return (first,) if first else self.turns[:1]


@dataclass(frozen=True)
class IbmCdp:
    articles: list[Article]
    past: list[PastResolution]
    test: list[Case]


def doc_id(value: str) -> str:
    """The canonical doc id: "0526" and "526" are the same document."""
    return value.strip().lstrip("0") or "0"


def url_words(url: str) -> list[str]:
    """The informative words of a document's URL, in order."""
    parts = urlsplit(_ARCHIVE.sub("", url.strip()))
    words = []
    for piece in _SPLIT.split(unquote(parts.path + " " + parts.fragment)):
        for word in _CAMEL.split(piece):
            low = word.lower()
            if len(low) < 2 or low in _URL_NOISE or low.isdigit():
                continue
            if any(c.isdigit() for c in low) and len(low) >= 6:  # ids: sln2051, ht204204, c04249080
                continue
            words.append(low)
    return words


def article_for(doc: str, url: str, collection: str | None) -> Article:
    """Title: the words of the last path segment that has any (else all); body: every URL word."""
    parts = urlsplit(_ARCHIVE.sub("", url.strip()))
    segments = [url_words("http://x/" + segment) for segment in (parts.path + "/" + parts.fragment).split("/")]
    named = [words for words in segments if words]
    words = url_words(url)
    title = " ".join(named[-1]) if named else ""
    return Article(id=doc, title=title, body=" ".join(words), url=url, collection=collection)


def _turns(dialog: list[dict[str, str]]) -> Turns:
    # "agent" turns are the brand's; "client", "client1", ... are the customer and others beside them
    return tuple(("agent" if "agent" in turn else "customer", turn.get("message", "")) for turn in dialog)


def resolution_words(utterance: str) -> str:
    return " ".join(_HANDLE.sub(" ", _LINK.sub(" ", utterance)).split())


def load(root: Path = DATA) -> IbmCdp:
    brand_of: dict[str, str] = {}
    for line in (root / "company_docIDs.tsv").read_text().splitlines():
        if "\t" in line:
            brand, ids = line.split("\t", 1)
            for doc in ids.split(","):
                brand_of.setdefault(doc_id(doc), brand.strip())
    articles = []
    for line in (root / "docID_url.tsv").read_text().splitlines():
        if "\t" in line:
            doc, url = line.split("\t", 1)
            articles.append(article_for(doc_id(doc), url, brand_of.get(doc_id(doc))))
    past = [
        PastResolution(
            interaction=f"ibm-dev/{row['dialogHeader']['sessionID']}",
            text="\n".join(text for _, text in _turns(row["dialogContent"])),
            article_id=doc_id(row["agentURL"]["doc_id"]),
            resolution=resolution_words(row["agentURL"].get("url_utterance", "")) or None,
            collection=row["dialogHeader"]["company"],
        )
        for row in json.loads((root / "dev.json").read_text())
    ]
    test = [
        Case(
            id=row["dialogHeader"]["sessionID"],
            turns=_turns(row["dialogContent"]),
            collection=row["dialogHeader"]["company"],
            label=doc_id(row["agentURL"]["doc_id"]),
        )
        for row in json.loads((root / "test.json").read_text())
    ]
    return IbmCdp(articles=articles, past=past, test=test)
