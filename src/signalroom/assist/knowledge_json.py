"""Knowledge articles from JSON (docs/knowledge.md#json): a list (or JSON Lines) of article
objects, or an ABCD-style knowledge base mapping each subflow to the actions it requires,
optionally enriched with the ABCD agent guidelines."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from signalroom.assist.knowledge import KnowledgeError, Located, checked, humanise, read_text
from signalroom.assist.types import Article

# The first of these an article object has is its text.
BODY_FIELDS = ("body", "content", "text")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"{where}, column {exc.colno}: not valid JSON: {exc.msg}") from None


def _whole(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"{name}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from None


def parse_json(
    text: str, name: str, *, collection: str | None, guidelines: dict[str, tuple[str, str]] | None = None
) -> list[Located]:
    """The articles of a ``.json`` or ``.jsonl`` document; ``guidelines`` from :func:`load_guidelines`."""
    if name.lower().endswith(".jsonl"):
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                where = f"line {number}"
                obj = _loads(line, f"{name}: {where}")
                out.append((article_from_object(obj, f"{name}: {where}", collection), name, where))
        if not out:
            raise KnowledgeError(f"{name}: no articles (every line is blank)")
        return out
    data = _whole(text, name)
    if isinstance(data, dict) and isinstance(data.get("articles"), list) and not _is_action_list(data["articles"]):
        data = data["articles"]
    if isinstance(data, list):
        if not data:
            raise KnowledgeError(f"{name}: no articles (the list is empty)")
        return [
            (article_from_object(obj, f"{name}: item {i}", collection), name, f"item {i}")
            for i, obj in enumerate(data, start=1)
        ]
    if isinstance(data, dict):
        return abcd_articles(data, name, collection=collection, guidelines=guidelines)
    raise KnowledgeError(
        f'{name}: expected a list of articles, {{"articles": [...]}}, or an object of subflow → action names; '
        f"got {_kind(data)}"
    )


def _is_action_list(value: list[Any]) -> bool:
    return all(isinstance(v, str) for v in value)


def _text(obj: dict[str, Any], key: str, where: str, *, required: bool) -> str | None:
    if key not in obj or obj[key] is None:
        if required:
            raise KnowledgeError(f"{where}: {key!r} is missing")
        return None
    value = obj[key]
    # Ids are often numbers in other systems' exports: 17 and "17" are the same article.
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise KnowledgeError(f"{where}: {key!r} must be text, got {_kind(value)}")
    if required and not value.strip():
        raise KnowledgeError(f"{where}: {key!r} is empty")
    return value.strip() or None


def article_from_object(obj: Any, where: str, collection: str | None) -> Article:
    """One article object: ``id``, ``title``, ``body`` (or ``content`` / ``text``), optional
    ``url``, ``collection`` and ``tags``. Other fields are another system's and not kept."""
    if not isinstance(obj, dict):
        raise KnowledgeError(f"{where}: expected an article object, got {_kind(obj)}")
    body_key = next((k for k in BODY_FIELDS if k in obj), None)
    if body_key is None:
        raise KnowledgeError(f"{where}: 'body' is missing (or 'content' or 'text')")
    tags = obj.get("tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list):
        raise KnowledgeError(f"{where}: 'tags' must be a list of text, got {_kind(tags)}")
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip():
            raise KnowledgeError(f"{where}: 'tags'[{i}] must be non-empty text, got {_kind(tag)} {tag!r}")
    return checked(
        Article(
            id=str(_text(obj, "id", where, required=True)),
            title=str(_text(obj, "title", where, required=True)),
            body=str(_text(obj, body_key, where, required=True)),
            url=_text(obj, "url", where, required=False),
            collection=_text(obj, "collection", where, required=False) or collection,
            tags=tuple(dict.fromkeys(t.strip() for t in tags)),
        ),
        where,
    )


# -- ABCD ----------------------------------------------------------------------------------------


def abcd_articles(
    data: dict[str, Any], name: str, *, collection: str | None, guidelines: dict[str, tuple[str, str]] | None
) -> list[Located]:
    """One article per subflow of an ABCD ``kb.json``: the required actions, in order, as its text
    and as its tags, and its guideline (when ``guidelines`` has one that matches its name)."""
    if not data:
        raise KnowledgeError(f"{name}: no articles (the object is empty)")
    matcher = _Matcher(guidelines or {})
    out: list[Located] = []
    for subflow, actions in data.items():
        where = f"subflow {subflow!r}"
        if not subflow.strip():
            raise KnowledgeError(f"{name}: a subflow's name is empty")
        if not isinstance(actions, list):
            raise KnowledgeError(f"{name}: {where}: expected a list of action names, got {_kind(actions)}")
        if not actions:
            raise KnowledgeError(f"{name}: {where}: the list of actions is empty")
        for i, action in enumerate(actions):
            if not isinstance(action, str) or not action.strip():
                raise KnowledgeError(f"{name}: {where}: action {i}: expected an action name, got {_kind(action)}")
        lines = ["Required actions:", *(f"{i}. {humanise(a)}" for i, a in enumerate(actions, start=1))]
        guideline = matcher.find(subflow)
        if guideline is not None:
            flow, text = guideline
            lines = [f"Flow: {flow}", "", *lines, "", "Guidelines:", text]
        article = Article(
            id=subflow.strip(),
            title=humanise(subflow),
            body="\n".join(lines),
            collection=collection,
            tags=tuple(dict.fromkeys(a.strip() for a in actions)),
        )
        out.append((checked(article, f"{name}: {where}"), name, where))
    return out


def _words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", name.lower()))


class _Matcher:
    """A subflow's guideline by name: the same words ("refund_initiate" and "Initiate Refund"),
    else the only guideline whose name has all of the subflow's words ("return_stain" and "Return
    Due to Stain"). A name that fits several ("status") gets none rather than a wrong one."""

    def __init__(self, guidelines: dict[str, tuple[str, str]]) -> None:
        self._by_words = {_words(k): v for k, v in guidelines.items()}

    def find(self, subflow: str) -> tuple[str, str] | None:
        words = _words(subflow)
        if words in self._by_words:
            return self._by_words[words]
        wider = [v for k, v in self._by_words.items() if words and words < k]
        return wider[0] if len(wider) == 1 else None


def load_guidelines(path: Path) -> dict[str, tuple[str, str]]:
    """ABCD agent guidelines (``guidelines.json``: flow → subflows → actions and instructions) as
    subflow name → (flow, guideline text)."""
    name = str(path)
    data = _whole(read_text(path), name)
    if not isinstance(data, dict):
        raise KnowledgeError(f"{name}: expected an object of flows, got {_kind(data)}")
    out: dict[str, tuple[str, str]] = {}
    for flow, content in data.items():
        subflows = content.get("subflows") if isinstance(content, dict) else None
        if not isinstance(subflows, dict):
            raise KnowledgeError(f"{name}: flow {flow!r}: 'subflows' must be an object of subflow guidelines")
        for subflow, guide in subflows.items():
            where = f"{name}: flow {flow!r}: subflow {subflow!r}"
            if not isinstance(guide, dict):
                raise KnowledgeError(f"{where}: expected an object with 'actions' and 'instructions'")
            out[subflow] = (flow, _guideline_text(guide, where))
    if not out:
        raise KnowledgeError(f"{name}: no subflows")
    return out


def _guideline_text(guide: dict[str, Any], where: str) -> str:
    instructions = guide.get("instructions", [])
    actions = guide.get("actions", [])
    if not isinstance(instructions, list) or not all(isinstance(i, str) for i in instructions):
        raise KnowledgeError(f"{where}: 'instructions' must be a list of text")
    if not isinstance(actions, list):
        raise KnowledgeError(f"{where}: 'actions' must be a list of objects")
    lines = [i.strip() for i in instructions[:1]]
    for i, action in enumerate(actions):
        if not isinstance(action, dict) or not isinstance(action.get("text", ""), str):
            raise KnowledgeError(f"{where}: actions[{i}]: expected an object with 'text'")
        subtext = action.get("subtext") or []
        if not isinstance(subtext, list) or not all(isinstance(s, str) for s in subtext):
            raise KnowledgeError(f"{where}: actions[{i}]: 'subtext' must be a list of text")
        lines.append(f"- {' '.join(str(action.get('text', '')).split())}")
        lines += [f"  - {' '.join(s.split())}" for s in subtext if s.strip()]
    # The first instruction says what the flow is about, the others how to finish it.
    lines += [i.strip() for i in instructions[1:]]
    return "\n".join(line for line in lines if line.strip())
