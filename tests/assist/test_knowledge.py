"""Knowledge-base import: Markdown, HTML and JSON articles, exactly; every bad input refused with
the file and the place named; the real ABCD knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signalroom.assist.kb_search import KnowledgeIndex, tokenize
from signalroom.assist.knowledge import (
    KnowledgeError,
    humanise,
    load_articles,
    load_by_file,
    parse_document,
    slug,
)
from signalroom.assist.types import Article
from support import SHARED_DATA

ABCD = SHARED_DATA / "abcd-sample-and-policies"
needs_abcd = pytest.mark.skipif(not (ABCD / "kb.json").is_file(), reason="../shared/data is not beside this checkout")

MARKDOWN = """---
title: Refunds within 30 days
tags: [billing, refunds]
url: https://help.example/refunds
layout: article
---
# Refunds within 30 days

Customers get a **refund** within _30 days_ via [the portal](https://help.example/portal).
A `snake_case` name and snake_case_words stay; \\*this\\* is not emphasis.

```sh
signalroom kb import *.md
```

- Open the **order**
1. Click ![the button](b.png) *Refund*
> Quoted ~~old~~ text

| step | who |
|------|-----|
| one  | you |

[portal]: https://help.example/portal
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, name: str, text: str, **kwargs: object) -> str:
    path = write(tmp_path / name, text)
    with pytest.raises(KnowledgeError) as caught:
        load_articles([path], **kwargs)  # type: ignore[arg-type]
    return str(caught.value).replace(f"{tmp_path}/", "")


# -- Markdown --------------------------------------------------------------------------------------


def test_markdown_front_matter_and_plain_text(tmp_path: Path) -> None:
    [article] = load_articles([write(tmp_path / "Billing" / "Refund Policy.md", MARKDOWN)], collection="bank")
    assert article == Article(
        id="refund-policy",
        title="Refunds within 30 days",
        # The heading that repeats the title is not repeated; the code block is kept as written.
        body=(
            "Customers get a refund within 30 days via the portal.\n"
            "A snake_case name and snake_case_words stay; *this* is not emphasis.\n\n"
            "signalroom kb import *.md\n\n"
            "Open the order\nClick the button Refund\nQuoted old text\n\n"
            "step | who\none  | you"
        ),
        url="https://help.example/refunds",
        collection="bank",
        tags=("billing", "refunds"),
    )


def test_markdown_ids_are_paths_in_the_folder_and_titles_fall_back(tmp_path: Path) -> None:
    write(tmp_path / "kb" / "Cards" / "Lost Card.md", "Setext title\n============\n\nBlock the card at once.\n")
    write(tmp_path / "kb" / "faq.markdown", "No heading here, only text.\n")
    write(tmp_path / "kb" / "own.md", "---\nid: 17\ncollection: telco\ntags: sim, roaming\n---\n## Roaming\nOn.\n")
    write(tmp_path / "kb" / ".drafts" / "hidden.md", "# Hidden\nnot imported\n")
    write(tmp_path / "kb" / "logo.png", "not text")
    articles = load_articles([tmp_path / "kb"], collection="bank")
    assert [(a.id, a.title, a.body, a.collection, a.tags) for a in articles] == [
        ("cards/lost-card", "Setext title", "Block the card at once.", "bank", ()),
        ("faq", "faq", "No heading here, only text.", "bank", ()),
        ("17", "own", "Roaming\nOn.", "telco", ("sim", "roaming")),
    ]
    assert slug("Billing/Refund Policy (v2).md") == "billing/refund-policy-v2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody\n", "doc.md: line 2: the front matter is not valid YAML"),
        ("---\ntitle: x\nbody\n", "doc.md: line 1: the front matter opened with '---' is never closed"),
        ("---\n- a\n- b\n---\nbody\n", "doc.md: line 2: the front matter must be a mapping of fields"),
        ("---\nurl: x\ntitle: 12\n---\nbody\n", "doc.md: line 3: 'title' must be text, got int 12"),
        ("---\ntitle: ''\n---\nbody\n", "doc.md: line 2: 'title' is empty"),
        ("---\ntags: {a: 1}\n---\nbody\n", "doc.md: line 2: 'tags' must be a list of text"),
        ("---\ntitle: Only a title\n---\n", "doc.md: the article 'doc' has no text (the body is empty)"),
        ("# Only a heading\n", "doc.md: the article 'doc' has no text (the body is empty)"),
    ],
)
def test_bad_markdown_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    assert error_of(tmp_path, "doc.md", text).startswith(message)


# -- HTML ------------------------------------------------------------------------------------------

PAGE = """<!doctype html><html><head><title>Reset your password</title>
<link rel="alternate canonical" href="https://help.example/reset">
<meta property="og:url" content="https://help.example/og"><meta name="keywords" content="login, password">
<style>p { color: red }</style><script>var hidden = "script text";</script></head>
<body><nav><a href="/">Home</a> | <a href="/help">Help</a></nav>
<h1>Reset your password</h1>
<p>Open <b>Settings</b> &amp; choose
   <em>Reset</em>.</p>
<ul>
  <li>Enter your email</li>
  <li>Follow the link</li>
</ul>
<pre>code  line 1
code line 2</pre>
<table><tr><th>plan</th><th>fee</th></tr><tr><td>basic</td><td>&pound;5</td></tr></table>
<noscript>enable scripts</noscript>
</body></html>"""


def test_html_visible_text_title_and_address(tmp_path: Path) -> None:
    [article] = load_articles([write(tmp_path / "help" / "reset.html", PAGE)])
    assert article == Article(
        id="reset",
        title="Reset your password",
        body=(
            "Open Settings & choose Reset.\n\nEnter your email\nFollow the link\n\n"
            "code  line 1\ncode line 2\n\nplan  fee\nbasic  £5"
        ),
        url="https://help.example/reset",
        tags=("login", "password"),
    )


def test_html_title_from_h1_then_file_and_og_url(tmp_path: Path) -> None:
    page = '<meta property="og:url" content="https://x.example/a"><h1>Card <i>limits</i></h1><p>Daily: 500.</p>'
    [article] = load_articles([write(tmp_path / "limits.htm", page)])
    assert (article.title, article.body, article.url) == ("Card limits", "Daily: 500.", "https://x.example/a")
    [bare] = parse_document("<p>Just text</p>", "Opening Hours.html")
    assert (bare.id, bare.title, bare.body) == ("opening-hours", "Opening Hours", "Just text")


def test_html_without_visible_text_is_refused(tmp_path: Path) -> None:
    message = error_of(tmp_path, "empty.html", "<title>T</title><script>only code</script>")
    assert message == "empty.html: the article 'empty' has no text (the body is empty)"


# -- JSON ------------------------------------------------------------------------------------------


def test_json_list_jsonl_and_articles_object(tmp_path: Path) -> None:
    items = [
        {"id": "a-1", "title": "Roaming", "body": "Turn roaming on.", "tags": ["sim"], "extra": 1},
        {"id": 2, "title": "Fees", "content": "Fees are monthly.", "url": "https://x.example/fees", "collection": "t"},
    ]
    listed = load_articles([write(tmp_path / "list.json", json.dumps(items))], collection="bank")
    assert listed == [
        Article("a-1", "Roaming", "Turn roaming on.", None, "bank", ("sim",)),
        Article("2", "Fees", "Fees are monthly.", "https://x.example/fees", "t"),
    ]
    lines = '{"id": "x", "title": "X", "text": "Xs."}\n\n{"id": "y", "title": "Y", "body": "Ys."}\n'
    assert [a.id for a in load_articles([write(tmp_path / "more.jsonl", lines)])] == ["x", "y"]
    wrapped = {"articles": [{"id": "w", "title": "W", "body": "Ws."}]}
    assert [a.id for a in load_articles([write(tmp_path / "w.json", json.dumps(wrapped))])] == ["w"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("kb.json", '[{"id": "a", "title": "A", "body": "x"},\n {"id": "b", "title": "B"', "kb.json: line 2, column"),
        ("kb.json", '[{"id": "a", "title": "A", "body": "x"}, {"id": "b", "body": "y"}]',
         "kb.json: item 2: 'title' is missing"),
        ("kb.json", '[{"id": "a", "title": " ", "body": "x"}]', "kb.json: item 1: 'title' is empty"),
        ("kb.json", '[{"id": "a", "title": "A", "body": ""}]', "kb.json: item 1: 'body' is empty"),
        ("kb.json", '[{"id": "a", "title": "A"}]', "kb.json: item 1: 'body' is missing (or 'content' or 'text')"),
        ("kb.json", '[{"title": "A", "body": "x"}]', "kb.json: item 1: 'id' is missing"),
        ("kb.json", '[{"id": true, "title": "A", "body": "x"}]', "kb.json: item 1: 'id' must be text, got true/false"),
        ("kb.json", '[{"id": "a", "title": "A", "body": "x", "tags": "t"}]',
         "kb.json: item 1: 'tags' must be a list of text, got text"),
        ("kb.json", '[{"id": "a", "title": "A", "body": "x", "tags": ["t", 3]}]',
         "kb.json: item 1: 'tags'[1] must be non-empty text, got a number 3"),
        ("kb.json", '[{"id": "a", "title": "A", "body": "x", "url": 5}]', "kb.json: item 1: 'url' must be text"),
        ("kb.json", '["just text"]', "kb.json: item 1: expected an article object, got text"),
        ("kb.json", "[]", "kb.json: no articles (the list is empty)"),
        ("kb.json", "42", "kb.json: expected a list of articles"),
        ("kb.json", '[{"id": "a", "title": "A", "body": "x"}, {"id": "a", "title": "B", "body": "y"}]',
         "kb.json: item 2: article id 'a' is already used by item 1"),
        ("kb.jsonl", '{"id": "a", "title": "A", "body": "x"}\n{"id": "b", "title": "B", body}\n',
         "kb.jsonl: line 2, column 27: not valid JSON: Expecting property name"),
        ("kb.jsonl", '{"id": "a", "title": "A", "body": "x"}\n\n{"id": "b", "body": "y"}\n',
         "kb.jsonl: line 3: 'title' is missing"),
        ("kb.json", '{"reset": ["pull-up-account", 7]}', "kb.json: subflow 'reset': action 1: expected an action name"),
        ("kb.json", '{"reset": []}', "kb.json: subflow 'reset': the list of actions is empty"),
        ("kb.json", '{"reset": "pull-up-account"}', "kb.json: subflow 'reset': expected a list of action names"),
    ],
)  # fmt: skip
def test_bad_json_names_file_and_place(tmp_path: Path, name: str, text: str, message: str) -> None:
    assert error_of(tmp_path, name, text).startswith(message)


def test_duplicates_across_files_name_both_and_nothing_is_returned(tmp_path: Path) -> None:
    write(tmp_path / "a" / "faq.md", "# FAQ\nOne.\n")
    write(tmp_path / "b" / "faq.md", "# FAQ\nTwo.\n")
    with pytest.raises(KnowledgeError) as caught:
        load_articles([tmp_path / "a", tmp_path / "b"])
    assert str(caught.value) == f"{tmp_path}/b/faq.md: article id 'faq' is already used by {tmp_path}/a/faq.md"


def test_paths_and_formats_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="nowhere: no such file or folder"):
        load_articles([tmp_path / "nowhere"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(KnowledgeError, match=r"empty: the folder has no article files \(\.md, \.markdown"):
        load_articles([tmp_path / "empty"])
    notes = write(tmp_path / "notes.txt", "# Notes\nSome.\n")
    with pytest.raises(KnowledgeError, match=r"notes\.txt: cannot tell the format from the extension"):
        load_articles([notes])
    assert [a.title for a in load_articles([notes], fmt="markdown")] == ["Notes"]
    with pytest.raises(KnowledgeError, match="unknown format 'pdf'"):
        load_articles([notes], fmt="pdf")
    latin = tmp_path / "latin.md"
    latin.write_bytes("# Caf\xe9\n".encode("latin-1"))
    with pytest.raises(KnowledgeError, match=r"latin.md: not UTF-8 text \(byte 5\)"):
        load_articles([latin])
    with pytest.raises(KnowledgeError, match="guidelines apply to an ABCD knowledge base"):
        load_articles([notes], fmt="markdown", guidelines=write(tmp_path / "g.json", '{"F": {"subflows": {"S": {}}}}'))


def test_abcd_shape_from_a_small_file(tmp_path: Path) -> None:
    kb = write(tmp_path / "kb.json", '{"recover_password": ["pull-up-account", "make-password"], "status": ["a"]}')
    guide = {
        "Account Access": {"subflows": {"Recover Password": {
            "instructions": ["Help them get a new password.", "Ask if they need anything else."],
            "actions": [{"text": "Get the [Account ID]", "subtext": ["or   their name"]}],
        }}},
        "Shipping": {"subflows": {"Shipping Status": {"actions": []}, "Status Active": {"actions": []}}},
    }  # fmt: skip
    articles = load_articles([kb], collection="abcd", guidelines=write(tmp_path / "g.json", json.dumps(guide)))
    assert articles == [
        Article(
            id="recover_password",
            title="Recover password",
            body=(
                "Flow: Account Access\n\nRequired actions:\n1. Pull up account\n2. Make password\n\nGuidelines:\n"
                "Help them get a new password.\n- Get the [Account ID]\n  - or their name\n"
                "Ask if they need anything else."
            ),
            collection="abcd",
            tags=("pull-up-account", "make-password"),
        ),
        # "status" fits two guidelines' names: it gets neither rather than a wrong one.
        Article("status", "Status", "Required actions:\n1. A", collection="abcd", tags=("a",)),
    ]
    assert humanise("out_of_stock_general") == "Out of stock general"


@needs_abcd
def test_the_real_abcd_knowledge_base() -> None:
    raw = json.loads((ABCD / "kb.json").read_text())
    [(source, articles)] = load_by_file([ABCD / "kb.json"], guidelines=ABCD / "guidelines.json")
    assert source == str(ABCD / "kb.json")
    assert [a.id for a in articles] == list(raw) and len(articles) == 55
    for article in articles:
        assert article.tags == tuple(dict.fromkeys(raw[article.id]))
        assert article.title == article.id.replace("_", " ").capitalize()
    enriched = {a.id for a in articles if a.body.startswith("Flow: ")}
    assert len(enriched) == 48
    assert {"recover_password", "refund_initiate", "return_stain", "boots"} <= enriched
    assert not {"status", "manage", "missing"} & enriched  # names shared by several guidelines
    found = KnowledgeIndex(articles).search("I forgot my password and cannot log in", k=3)
    assert found[0][0].id == "recover_password"


# -- search ------------------------------------------------------------------------------------------


def test_search_ranks_by_title_and_text_and_filters() -> None:
    articles = [
        Article("roam", "Roaming abroad", "Turn on roaming before you travel.", collection="telco"),
        Article("fees", "Account fees", "The monthly fee covers roaming in the EU.", collection="bank"),
        Article("pin", "Forgotten PIN", "Reset the PIN in the app.", collection="bank"),
    ]
    index = KnowledgeIndex(articles)
    assert [a.id for a, _ in index.search("roaming")] == ["roam", "fees"]
    assert [a.id for a, _ in index.search("roaming", collection="bank")] == ["fees"]
    assert [a.id for a, _ in index.search("Roaming!", k=1)] == ["roam"]
    [(_, first), (_, second)] = index.search("roaming")
    assert first > second > 0
    assert index.search("the and of") == [] and index.search("zebra") == [] and index.search("") == []
    assert KnowledgeIndex([]).search("roaming") == [] and len(KnowledgeIndex([])) == 0
    assert tokenize("The PIN's reset, 2FA!") == ["pin", "s", "reset", "2fa"]
    with pytest.raises(ValueError, match="k must be at least 1"):
        index.search("roaming", k=0)
