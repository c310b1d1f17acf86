"""Knowledge-base import (docs/knowledge.md): articles from Markdown, HTML and JSON files, as
:class:`~signalroom.assist.types.Article` records with their markup removed.

Every problem is a :class:`KnowledgeError` that names the file and the line, item or field at
fault; an import either yields every article it was given or fails: nothing is dropped quietly."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from signalroom.assist.types import Article
from signalroom.yaml_lines import load_with_lines

FORMATS = ("auto", "markdown", "html", "json")
EXTENSIONS = {
    "markdown": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "json": (".json", ".jsonl"),
}
MAX_ID = 200


class KnowledgeError(ValueError):
    """Input that cannot become articles; the message names the file and what is wrong where."""


# An article and where it came from ("kb.json", "item 3"), to name both places of a duplicate id.
Located = tuple[Article, str, str]


# -- files and formats ---------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise KnowledgeError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return fmt


def format_of(name: str, fmt: str = "auto") -> str:
    """The format a file is read as: ``fmt`` when given, else the one its extension names."""
    if check_format(fmt) != "auto":
        return fmt
    suffix = Path(name).suffix.lower()
    found = next((f for f, exts in EXTENSIONS.items() if suffix in exts), None)
    if found is None:
        known = ", ".join(e for exts in EXTENSIONS.values() for e in exts)
        raise KnowledgeError(f"{name}: cannot tell the format from the extension (known: {known}): give the format")
    return found


def _files(path: Path, fmt: str) -> list[tuple[Path, Path]]:
    """The article files a path names, each with the folder its id is relative to."""
    if path.is_file():
        return [(path, path.parent)]
    if not path.is_dir():
        raise KnowledgeError(f"{path}: no such file or folder")
    wanted = tuple(e for f, exts in EXTENSIONS.items() if fmt in ("auto", f) for e in exts)
    # Hidden files and folders (.git, editors' backups) are not articles; other extensions
    # (images, stylesheets) are what a documentation folder also holds: both are passed over.
    found = sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in wanted
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )  # fmt: skip
    if not found:
        raise KnowledgeError(f"{path}: the folder has no article files ({', '.join(wanted)})")
    return [(p, path) for p in found]


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc.strerror}") from None
    return decode(data, str(path))


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def slug(relative: str) -> str:
    """An id from a file's path relative to the folder imported: ``Billing/Refund Policy.md`` →
    ``billing/refund-policy``."""
    parts = Path(relative).with_suffix("").parts
    cleaned = [re.sub(r"[^\w]+|_+", "-", p.lower()).strip("-") for p in parts]
    return "/".join(p for p in cleaned if p)


def humanise(name: str) -> str:
    """``recover_password`` → ``Recover password``; ``pull-up-account`` → ``Pull up account``."""
    words = re.sub(r"[_\-\s]+", " ", name).strip()
    return words[:1].upper() + words[1:]


def parse_document(
    text: str, name: str, *, fmt: str = "auto", collection: str | None = None, default_id: str | None = None,
    guidelines: dict[str, tuple[str, str]] | None = None,
) -> list[Article]:  # fmt: skip
    """The articles in one document's text; ``name`` is its file name (format, messages and, for
    Markdown and HTML, the id unless ``default_id`` is given)."""
    located = _parse(text, name, format_of(name, fmt), collection, default_id or slug(Path(name).name), guidelines)
    return [a for a, _, _ in _unique(located)]


def load_by_file(
    paths: Iterable[str | Path], *, fmt: str = "auto", collection: str | None = None,
    guidelines: str | Path | None = None,
) -> list[tuple[str, list[Article]]]:  # fmt: skip
    """Each file the paths name (folders recursively, in name order) with its articles. Ids are
    unique across all of them; ``guidelines``: an ABCD guidelines.json to enrich ABCD subflows."""
    from signalroom.assist.knowledge_json import load_guidelines

    check_format(fmt)  # before any file is read
    known = load_guidelines(Path(guidelines)) if guidelines is not None else None
    per_file: list[tuple[str, list[Located]]] = []
    for given in paths:
        for path, base in _files(Path(given), fmt):
            kind = format_of(str(path), fmt)
            text = read_text(path)
            per_file.append(
                (str(path), _parse(text, str(path), kind, collection, slug(str(path.relative_to(base))), known))
            )
    if not per_file:
        raise KnowledgeError("no file given to import")
    if known is not None and not any(where.startswith("subflow ") for _, arts in per_file for _, _, where in arts):
        raise KnowledgeError("guidelines apply to an ABCD knowledge base (subflow → actions), and none was imported")
    _unique([a for _, arts in per_file for a in arts])
    return [(name, [a for a, _, _ in arts]) for name, arts in per_file]


def load_articles(
    paths: Iterable[str | Path], *, fmt: str = "auto", collection: str | None = None,
    guidelines: str | Path | None = None,
) -> list[Article]:  # fmt: skip
    """Every article in the files and folders given (see :func:`load_by_file`)."""
    return [a for _, arts in load_by_file(paths, fmt=fmt, collection=collection, guidelines=guidelines) for a in arts]


def _parse(
    text: str, name: str, kind: str, collection: str | None, default_id: str,
    guidelines: dict[str, tuple[str, str]] | None,
) -> list[Located]:  # fmt: skip
    if kind == "json":
        from signalroom.assist.knowledge_json import parse_json

        return parse_json(text, name, collection=collection, guidelines=guidelines)
    if not default_id:
        raise KnowledgeError(f"{name}: cannot make an id from the file name: name the article's id in the file")
    if kind == "markdown":
        return [(markdown_article(text, name, default_id, collection), name, "")]
    from signalroom.assist.knowledge_html import html_article

    return [(html_article(text, name, default_id, collection), name, "")]


def _unique(located: Sequence[Located]) -> list[Located]:
    seen: dict[str, tuple[str, str]] = {}
    for article, file, where in located:
        if article.id in seen:
            first_file, first_where = seen[article.id]
            here = f"{file}: {where}" if where else file
            there = f"{first_file}: {first_where}" if first_where else first_file
            if first_file == file and first_where:
                there = first_where
            raise KnowledgeError(f"{here}: article id {article.id!r} is already used by {there}")
        seen[article.id] = (file, where)
    return list(located)


def checked(article: Article, where: str) -> Article:
    """The article, once its id, title and body are known to be usable."""
    if not article.id.strip():
        raise KnowledgeError(f"{where}: the id is empty")
    if len(article.id) > MAX_ID or any(c in article.id for c in "\r\n\t"):
        raise KnowledgeError(f"{where}: the id {article.id[:60]!r} is too long or spans lines (at most {MAX_ID})")
    if not article.title.strip():
        raise KnowledgeError(f"{where}: the title is empty")
    if not article.body.strip():
        raise KnowledgeError(f"{where}: the article {article.id!r} has no text (the body is empty)")
    return article


def tidy(lines: Iterable[str]) -> str:
    """Lines without trailing space, at most one blank line in a row, none at either end."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def without_title(body: str, title: str) -> str:
    """The body without a first line that only repeats the title (a page's heading)."""
    first, _, rest = body.partition("\n")
    return rest.strip("\n") if " ".join(first.split()).lower() == " ".join(title.split()).lower() else body


# -- Markdown --------------------------------------------------------------------------------------

_FRONT_KEYS = {"id", "title", "url", "collection", "tags"}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+.*$")
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # an image: its alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # a link: its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # a reference link: its text
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # an autolink: the address
    (re.compile(r"<!--.*?-->|</?[A-Za-z][^>]*>"), ""),  # HTML comments and tags
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    # Underscores inside words (snake_case) are not emphasis.
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
)


def markdown_article(text: str, name: str, default_id: str, collection: str | None) -> Article:
    front, lines = _front_matter(text, name)
    heading, body = markdown_text(lines)
    title = front.get("title") or heading or Path(name).stem
    return checked(
        Article(
            id=front.get("id") or default_id,
            title=title,
            body=without_title(body, title),
            url=front.get("url"),
            collection=front.get("collection") or collection,
            tags=tuple(front.get("tags") or ()),
        ),
        name,
    )


def _front_matter(text: str, name: str) -> tuple[dict[str, Any], list[str]]:
    """The front matter's fields and the lines after it."""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return {}, lines
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise KnowledgeError(f"{name}: line 1: the front matter opened with '---' is never closed")
    try:
        data, key_lines = load_with_lines("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise KnowledgeError(f"{name}: {line}the front matter is not valid YAML: {problem}") from None
    if data is None:
        return {}, lines[end + 1 :]
    if not isinstance(data, dict):
        raise KnowledgeError(f"{name}: line 2: the front matter must be a mapping of fields (id, title, …)")
    fields: dict[str, Any] = {}
    # Other keys (date, author, layout…) belong to site generators: they are left to them.
    for key in sorted(_FRONT_KEYS & set(data)):
        value, where = data[key], f"{name}: line {key_lines.get((key,), 1) + 1}: {key!r}"
        if value is None and key in ("url", "collection", "tags"):
            continue
        if key == "tags":
            fields[key] = _front_tags(value, where)
        elif isinstance(value, bool) or not isinstance(value, str | int) or (key != "id" and isinstance(value, int)):
            raise KnowledgeError(f"{where} must be text, got {type(value).__name__} {value!r}")
        elif not str(value).strip():
            raise KnowledgeError(f"{where} is empty")
        else:
            fields[key] = str(value).strip()
    return fields, lines[end + 1 :]


def _front_tags(value: Any, where: str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise KnowledgeError(f"{where} must be a list of text (or one comma-separated text), got {value!r}")
    return list(dict.fromkeys(t.strip() for t in items if t.strip()))


def markdown_text(lines: Sequence[str]) -> tuple[str | None, str]:
    """The first level-1 heading and the plain text of Markdown lines: code blocks kept as they
    are, every other line without its markup."""
    out: list[str] = []
    heading: str | None = None
    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            else:
                out.append(line)
            continue
        if opened:
            fence = opened.group(1)
            continue
        setext = _SETEXT.match(line)
        if setext and out and out[-1].strip() and not _RULE.match(out[-1]):
            # The line above was a heading underlined with === (level 1) or ---.
            if heading is None and setext.group(1)[0] == "=":
                heading = out[-1].strip()
            continue
        if _TABLE_RULE.match(line):
            continue
        if _RULE.match(line) or _REF_DEF.match(line):
            out.append("")
            continue
        atx = _ATX.match(line)
        if atx:
            text = _inline(atx.group(2) or "")
            if heading is None and len(atx.group(1)) == 1 and text:
                heading = text
            out.append(text)
            continue
        line = _ITEM.sub(r"\1", _QUOTE.sub("", line))
        if line.lstrip().startswith("|"):
            line = line.strip().strip("|")
        out.append(_inline(line))
    return heading, tidy(out)


def _inline(text: str) -> str:
    """Inline markup removed, code spans left as written."""
    # Escaped characters are set aside first so that \* is never taken for emphasis.
    text = _ESCAPED.sub(lambda m: chr(0xE000 + ord(m.group(1))), text)
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [_plain(text[last : span.start()]), span.group(2).strip()]
        last = span.end()
    out.append(_plain(text[last:]))
    return re.sub("[\ue000-\ue07f]", lambda m: chr(ord(m.group(0)) - 0xE000), "".join(out)).strip()


def _plain(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text
