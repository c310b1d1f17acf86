"""A small phrase grammar: templates with slots, inline alternatives and optional parts.

Template syntax (written for this project):

* ``{slot}``: a value from the per-conversation context if it holds ``slot``, else one expansion
  of the rule named ``slot``;
* ``(a|b|c)``: one of the alternatives (they may nest and hold slots);
* ``[text]``: the text, half of the time.

Templates are compiled once into tuples, so expanding one is a handful of list appends and
``rng`` draws: the generator expands hundreds of thousands of them per second.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

# A compiled sequence: plain strings, ("s", name) slots, ("a", (seq, …)) choices, ("o", seq) options.
Node = str | tuple[str, object]
Seq = tuple[Node, ...]


class GrammarError(ValueError):
    pass


def compile_template(text: str) -> Seq:
    seq, end = _parse(text, 0, "")
    if end != len(text):
        raise GrammarError(f"unbalanced template: {text!r}")
    return seq


def _parse(text: str, pos: int, stops: str) -> tuple[Seq, int]:
    out: list[Node] = []
    buf: list[str] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in stops:
            break
        if ch == "{":
            close = text.find("}", pos)
            if close < 0:
                raise GrammarError(f"unclosed slot in {text!r}")
            if buf:
                out.append("".join(buf))
                buf = []
            out.append(("s", text[pos + 1 : close]))
            pos = close + 1
        elif ch == "(":
            if buf:
                out.append("".join(buf))
                buf = []
            options: list[Seq] = []
            pos += 1
            while True:
                seq, pos = _parse(text, pos, "|)")
                options.append(seq)
                if pos >= n:
                    raise GrammarError(f"unclosed ( in {text!r}")
                if text[pos] == ")":
                    pos += 1
                    break
                pos += 1
            out.append(("a", tuple(options)))
        elif ch == "[":
            if buf:
                out.append("".join(buf))
                buf = []
            seq, pos = _parse(text, pos + 1, "]")
            if pos >= n:
                raise GrammarError(f"unclosed [ in {text!r}")
            out.append(("o", seq))
            pos += 1
        elif ch in ")]|":
            raise GrammarError(f"stray {ch!r} in {text!r}")
        else:
            buf.append(ch)
            pos += 1
    if buf:
        out.append("".join(buf))
    return tuple(out), pos


_SPACES = re.compile(r" {2,}")
_SPACE_PUNCT = re.compile(r" +([,.?!])")


def tidy(text: str) -> str:
    """Collapse the spaces left by empty options and capitalise the first letter."""
    text = _SPACE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


class Grammar:
    """Named rules, each a list of alternative templates."""

    def __init__(self, rules: Mapping[str, list[str] | tuple[str, ...]]) -> None:
        self._rules: dict[str, tuple[Seq, ...]] = {}
        self.add(rules)

    def add(self, rules: Mapping[str, list[str] | tuple[str, ...]]) -> None:
        for name, templates in rules.items():
            if not templates:
                raise GrammarError(f"rule {name!r} has no templates")
            self._rules[name] = tuple(compile_template(t) for t in templates)

    def has(self, name: str) -> bool:
        return name in self._rules

    def check(self, context_slots: set[str]) -> list[str]:
        """Slots referenced by some template that are neither rules nor context values."""
        missing: set[str] = set()

        def walk(seq: Seq) -> None:
            for node in seq:
                if isinstance(node, str):
                    continue
                tag, value = node
                if tag == "s":
                    if value not in self._rules and value not in context_slots:
                        missing.add(str(value))
                elif tag == "a":
                    for option in value:  # type: ignore[attr-defined]
                        walk(option)
                else:
                    walk(value)  # type: ignore[arg-type]

        for templates in self._rules.values():
            for template in templates:
                walk(template)
        return sorted(missing)

    def say(self, rng: random.Random, name: str, ctx: Mapping[str, str]) -> str:
        out: list[str] = []
        self._expand(rng.choice(self._rules[name]), rng, ctx, out)
        return tidy("".join(out))

    def size(self, name: str) -> int:
        return len(self._rules[name])

    def say_at(self, rng: random.Random, name: str, index: int, ctx: Mapping[str, str]) -> str:
        """The expansion of one given template of a rule (to pair a question with its answer)."""
        out: list[str] = []
        self._expand(self._rules[name][index], rng, ctx, out)
        return tidy("".join(out))

    def raw(self, rng: random.Random, name: str, ctx: Mapping[str, str]) -> str:
        """An expansion without tidying (for fragments joined into a longer text)."""
        out: list[str] = []
        self._expand(rng.choice(self._rules[name]), rng, ctx, out)
        return "".join(out)

    def _expand(self, seq: Seq, rng: random.Random, ctx: Mapping[str, str], out: list[str]) -> None:
        for node in seq:
            if isinstance(node, str):
                out.append(node)
                continue
            tag, value = node
            value_: Any = value
            if tag == "s":
                given = ctx.get(value_)
                if given is not None:
                    out.append(given)
                else:
                    self._expand(rng.choice(self._rules[value_]), rng, ctx, out)
            elif tag == "a":
                self._expand(rng.choice(value_), rng, ctx, out)
            elif rng.random() < 0.5:
                self._expand(value_, rng, ctx, out)


# -- light typing noise for written channels ---------------------------------------------------

_CASUAL = (
    ("I'm ", "im "),
    ("don't", "dont"),
    ("can't", "cant"),
    ("doesn't", "doesnt"),
    ("isn't", "isnt"),
    ("won't", "wont"),
    ("you ", "u "),
    ("please", "pls"),
    ("because", "cos"),
    ("thanks", "thx"),
)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:  # swap two neighbours
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind < 0.7:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def roughen(text: str, rng: random.Random, level: float) -> str:
    """Typing noise: lower case, casual spellings, a few typos, missing full stops."""
    if level <= 0 or rng.random() > level:
        return text
    if rng.random() < 0.45:
        text = text.lower()
    if rng.random() < 0.5:
        for formal, casual in _CASUAL:
            if formal in text and rng.random() < 0.6:
                text = text.replace(formal, casual)
    words = text.split(" ")
    for _ in range(1 + (rng.random() < level * 0.5)):
        j = rng.randrange(len(words))
        words[j] = _typo(words[j], rng)
    text = " ".join(words)
    if text.endswith(".") and rng.random() < 0.6:
        text = text[:-1]
    return text
