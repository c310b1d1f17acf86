"""Phrase patterns for automated QA: a small pattern language, and one matcher that finds every
pattern of every scorecard in a conversation in one pass (docs/qa-phrases.md).

A conversation's turns are cut into word tokens once; each token is normalised once (cached) to
the form its inflections share, and the normalised stream is read by one Aho-Corasick automaton
holding the longest plain-word run of every pattern (and the negators). Only its hits are checked
word by word, so the cost grows with the text, not with the number of patterns. Patterns made of
wildcards alone are found by a second automaton over the lower-case tokens.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

import ahocorasick

# A token is a run of letters, digits, underscores and apostrophes; apostrophes at its edges are
# quotes, not part of its word. ``\x00`` marks a turn boundary in the joined text, so it is a token of its own.
_TOKEN = re.compile(r"[\w'’]+")
_TOKEN_OR_MARK = re.compile(r"[\w'’]+|\x00")
# For ASCII text the same tokens come from bytes.translate + split, about 7x faster than the regex.
_ASCII_TABLE = bytes(c if (chr(c).isalnum() and c < 128) or c in b"_'\x00" else 32 for c in range(256))
_SEP = "\x00"
_TYPOGRAPHY = {"’": "'", "‘": " ", "“": " ", "”": " ", "–": " ", "—": " ", "…": " ", "£": " ", "€": " ", "\xa0": " "}
_SPAN = re.Match.span


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATORS = _words(  # and every word ending in n't
    "not no never nor neither none nobody nothing nowhere without cannot cant dont didnt doesnt wont isnt wasnt "
    "arent werent havent hasnt hadnt couldnt wouldnt shouldnt mustnt aint"
)
_NEGATION_WINDOW = 3
_MAX_SEQUENCES = 256  # word sequences one pattern may expand to through its alternatives

# -- word normalisation ---------------------------------------------------------------------------
# Steps 1a-1c of the Porter2 (Snowball English) stemmer: inflections only (-s, -es, -ies, -ed, -ing),
# never derivations, so `verify` meets `verified` but not `verification`. Then a final e is dropped
# and a final double consonant undoubled, so the bare word and its inflections end alike
# (close/closing, staff/staffed) without a dictionary.

_DOUBLES = frozenset(("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"))
_INVARIANT = _words(
    "news sky atlas cosmos bias andes inning outing canning herring earring proceed exceed succeed evening"
)
# 's that is "is", "has" or "us": these keep it, so `it's` does not match `it`.
_IS_US = _words("it's that's he's she's what's there's here's who's where's how's let's")
_IRREGULAR = {"dying": "die", "lying": "lie", "tying": "tie", "skies": "sky", "skis": "ski"}


def _vowels(word: str) -> list[bool]:
    # y is a vowel except at the start of a word or after a vowel (Porter2's "Y").
    flags: list[bool] = []
    for i, ch in enumerate(word):
        flags.append(ch in "aeiou" or (ch == "y" and i > 0 and not flags[i - 1]))
    return flags


def _r1(flags: list[bool]) -> int:
    for i in range(1, len(flags)):
        if flags[i - 1] and not flags[i]:
            return i + 1
    return len(flags)


def _is_short(word: str) -> bool:
    v = _vowels(word)
    if _r1(v) < len(word):
        return False
    if len(word) == 2:
        return v[0] and not v[1]
    return len(word) >= 3 and not v[-3] and v[-2] and not v[-1] and word[-1] not in "wxy"


def _stem(word: str) -> str:
    if word.endswith("'s") and word not in _IS_US:
        word = word[:-2]  # the customer's account: the possessive is the word itself
    if len(word) <= 2 or not word.isalpha() or word in _INVARIANT:
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    w = word
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith(("ied", "ies")):
        w = w[:-2] if len(w) > 4 else w[:-1]
    elif w.endswith("s") and not w.endswith(("us", "ss")) and any(_vowels(w)[:-2]):
        w = w[:-1]
    if w in _INVARIANT:
        return w
    if w.endswith("eed"):
        if len(w) - 3 >= _r1(_vowels(w)):
            w = w[:-1]
    else:
        for suffix in ("ed", "ing"):
            if w.endswith(suffix) and any(_vowels(w)[: -len(suffix)]):
                w = w[: -len(suffix)]
                if _is_short(w):
                    w += "e"
                break
    if len(w) > 2 and w[-1] == "y" and w[-2] not in "aeiouy":
        w = w[:-1] + "i"
    if len(w) >= 4 and w[-1] == "e":
        w = w[:-1]
    if len(w) >= 4 and w[-2:] in _DOUBLES:
        w = w[:-1]
    return w


_NEGATOR_STEMS = frozenset(map(_stem, NEGATORS))


def _key(token: str) -> str:
    return token.lower().replace("’", "'").strip("'")


def normalise(word: str) -> str:
    """The form a word is matched by: lower case, ’ read as ', inflection removed."""
    return _stem(_key(word))


class _Cache(dict[Any, str]):
    """token (str, or bytes on the ASCII path) -> its key or normalised form; bounded, so a stream
    of names and typos cannot grow it forever."""

    def __init__(self, stemmed: bool) -> None:
        super().__init__()
        self._stemmed = stemmed

    def __missing__(self, token: bytes | str) -> str:
        if len(self) > 200_000:
            self.clear()
        key = _key(token.decode() if isinstance(token, bytes) else token)
        value = self[token] = _stem(key) if self._stemmed else key
        return value


_KEYS = _Cache(stemmed=False)
_STEMS = _Cache(stemmed=True)

# -- patterns -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnText:
    """What the matcher reads of a turn."""

    speaker: str
    text: str
    offset_ms: int | None = None


@dataclass(frozen=True)
class PhraseMatch:
    pattern_id: str
    turn: int  # index into the turns given
    start: int  # character span in that turn's text
    end: int
    text: str  # the matched text as written
    negated: bool  # a negator within the 3 tokens before the match, in the same turn
    tokens: tuple[int, int]  # token span in the turn: first, one past the last


class PatternError(ValueError):
    """A pattern that cannot be compiled; the message names the pattern and the problem."""


@dataclass(frozen=True)
class Term:
    """One token position: ``word`` (normalised), ``exact`` (quoted), ``prefix`` (``verif*``), ``any`` (``*``)."""

    kind: Literal["word", "exact", "prefix", "any"]
    value: str = ""


@dataclass(frozen=True)
class ParsedPattern:
    """A pattern as word sequences: each side is the sequences its alternatives expand to; two
    sides are joined by ``NEAR:near``."""

    text: str
    sides: tuple[tuple[tuple[Term, ...], ...], ...]
    near: int | None = None


_LEX = re.compile(r'\s+|"[^"]*"?|[()|]|[^\s"()|]+')
_NEAR = re.compile(r"NEAR:(\d+)")
_Item = Term | list[list[Any]]  # a term, or a group: alternatives, each a list of items


def _terms(piece: str, fail: Callable[[str], NoReturn]) -> list[Term]:
    if piece == "*":
        return [Term("any")]
    if piece.endswith("*"):
        head = _key(piece[:-1])
        if not _TOKEN.fullmatch(piece[:-1]) or not head or "*" in piece[:-1]:
            fail(f"{piece!r}: a wildcard is a word's start followed by *, or * alone")
        return [Term("prefix", head)]
    if "*" in piece:
        fail(f"{piece!r}: * may only end a word or stand alone")
    return [Term("word", _stem(k)) for k in map(_key, _TOKEN.findall(piece)) if k]


def _expand(items: list[_Item], fail: Callable[[str], NoReturn]) -> list[tuple[Term, ...]]:
    sequences: list[tuple[Term, ...]] = [()]
    for item in items:
        options = [(item,)] if isinstance(item, Term) else [s for alt in item for s in _expand(alt, fail)]
        sequences = [s + o for s in sequences for o in options]
        if len(sequences) > _MAX_SEQUENCES:
            fail(f"its alternatives expand to more than {_MAX_SEQUENCES} word sequences")
    return sequences


def parse_pattern(pattern: str) -> ParsedPattern:
    """Parse and check a pattern (docs/qa-phrases.md); raises :class:`PatternError`."""

    def fail(problem: str) -> NoReturn:
        raise PatternError(f"pattern {pattern!r}: {problem}")

    sides: list[list[_Item]] = [[]]
    near: int | None = None
    groups: list[tuple[list[list[_Item]], list[_Item], int]] = []  # alternatives, enclosing items, column
    current = sides[0]
    for m in _LEX.finditer(pattern):
        lexeme, column = m.group(), m.start() + 1
        if lexeme.isspace():
            continue
        if lexeme.startswith('"'):
            if len(lexeme) < 2 or not lexeme.endswith('"'):
                fail(f"the quote at column {column} is not closed")
            if "*" in lexeme:
                fail(f"no wildcards inside quotes (column {column}): quotes mean these exact words")
            words = [k for k in map(_key, _TOKEN.findall(lexeme[1:-1])) if k]
            if not words:
                fail(f"empty quotes at column {column}")
            current.extend(Term("exact", w) for w in words)
        elif lexeme == "(":
            groups.append(([], current, column))
            current = []
        elif lexeme in "|)":
            if not groups:
                fail(
                    f"'|' at column {column} is outside parentheses (list whole alternatives as separate patterns)"
                    if lexeme == "|"
                    else f"unbalanced parenthesis: ')' at column {column} has no '('"
                )
            if not current:
                fail(f"empty alternative in the parentheses opened at column {groups[-1][2]}")
            groups[-1][0].append(current)
            current = []
            if lexeme == ")":
                alternatives, current, _ = groups.pop()
                current.append(alternatives)
        elif lexeme == "NEAR" or lexeme.startswith("NEAR:"):
            distance = _NEAR.fullmatch(lexeme)
            if distance is None:
                fail(f"{lexeme!r} at column {column}: NEAR needs a number of words, as in NEAR:3")
            elif groups:
                fail(f"NEAR at column {column} is inside parentheses")
            elif near is not None:
                fail("only one NEAR per pattern")
            elif not current:
                fail(f"NEAR at column {column} has no words before it")
            else:
                near = int(distance.group(1))
                sides.append([])
                current = sides[-1]
        else:
            current.extend(_terms(lexeme, fail))
    if groups:
        fail(f"unbalanced parenthesis: '(' at column {groups[-1][2]} is not closed")
    if not current:
        fail("NEAR has no words after it" if near is not None else "no words in it")
    expanded = tuple(tuple(dict.fromkeys(_expand(side, fail))) for side in sides)
    if any(all(t.kind == "any" for t in seq) for side in expanded for seq in side):
        fail("* needs a word beside it")
    return ParsedPattern(pattern, expanded, near)


# -- the matcher ----------------------------------------------------------------------------------

_KIND = {"word": 0, "exact": 1, "prefix": 2, "any": 3}
_Occurrence = tuple[int, int, int, int]  # turn, first token, one past the last, index in the stream


class PhraseMatcher:
    """Every pattern of every scorecard compiled into one matcher."""

    def __init__(self, patterns: Mapping[str, str]) -> None:
        self._ids: list[str] = []
        self._near: list[int | None] = []
        self._ordered: list[bool] = []
        units: dict[tuple[Term, ...], int] = {}
        self._owners: list[list[tuple[int, int]]] = []  # per unit: (pattern, side)
        for pattern_id, text in patterns.items():
            try:
                parsed = parse_pattern(text)
            except PatternError as error:
                raise PatternError(f"{pattern_id!r}: {error}") from None
            index = len(self._ids)
            self._ids.append(pattern_id)
            self._near.append(parsed.near)
            # One sequence's hits come in order and distinct; alternatives and NEAR pairs need sorting.
            self._ordered.append(parsed.near is None and len(parsed.sides[0]) == 1)
            for side, sequences in enumerate(parsed.sides):
                for seq in sequences:
                    if seq not in units:
                        units[seq] = len(units)
                        self._owners.append([])
                    self._owners[units[seq]].append((index, side))
        self._lengths = [len(seq) for seq in units]
        self._checks: list[tuple[tuple[int, int, str], ...]] = []
        anchors: tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[int, int]]]] = ({}, {})
        for word in _NEGATOR_STEMS:
            anchors[0][f" {word} "] = [(-1, 0)]
        anchors[0]["n't "] = [(-1, 1)]  # the hit is inside the token: one more space counted before it
        for uid, seq in enumerate(units):
            automaton, key, first, last = self._anchor(seq)
            anchors[automaton].setdefault(key, []).append((uid, first))
            self._checks.append(
                tuple(
                    (j, _KIND[t.kind], t.value)
                    for j, t in enumerate(seq)
                    if not (first <= j < last and t.kind == "word")
                )
            )
        self._automata = tuple(self._build(keys) for keys in anchors)
        # Quoted words and wildcards compare the lower-case token, not its normalised form.
        self._need_keys = any(kind in (1, 2) for checks in self._checks for _, kind, _ in checks)

    @staticmethod
    def _anchor(seq: tuple[Term, ...]) -> tuple[int, str, int, int]:
        """The automaton (0: normalised stream, 1: lower-case stream), key and term span a sequence is
        found by: its longest run of plain or quoted words, else its longest wildcard prefix."""
        runs: list[tuple[int, int, int]] = []  # characters, first, one past the last
        for j, term in enumerate(seq):
            if term.kind in ("word", "exact"):
                size = len(_stem(term.value)) + 1
                runs.append((runs[-1][0] + size, runs[-1][1], j + 1) if runs and runs[-1][2] == j else (size, j, j + 1))
        if runs:
            _, first, last = max(runs)
            stems = (t.value if t.kind == "word" else _stem(t.value) for t in seq[first:last])
            return 0, " " + " ".join(stems) + " ", first, last
        j = max((j for j, t in enumerate(seq) if t.kind == "prefix"), key=lambda j: len(seq[j].value))
        return 1, " " + seq[j].value, j, j

    @staticmethod
    def _build(keys: dict[str, list[tuple[int, int]]]) -> Any:
        if not keys:
            return None
        automaton = ahocorasick.Automaton()
        for key, entries in keys.items():
            automaton.add_word(key, (len(key), tuple(entries)))
        automaton.make_automaton()
        return automaton

    def find(self, turns: Sequence[TurnText]) -> dict[str, list[PhraseMatch]]:
        """Every match of every pattern, per pattern id (only ids with matches), in text order."""
        if not turns or not self._ids:
            return {}
        texts = [t.text for t in turns]
        joined = " \x00 ".join(texts)
        if joined.count(_SEP) != len(texts) - 1:
            texts = [t.replace(_SEP, " ") for t in texts]
            joined = " \x00 ".join(texts)
        ascii = joined.isascii()
        if not ascii:  # typographic punctuation alone should not cost the slow tokeniser: swap it 1:1
            for typographic, plain in _TYPOGRAPHY.items():
                if typographic in joined:
                    joined = joined.replace(typographic, plain)
            ascii = joined.isascii()
            texts = joined.split(" \x00 ")
        chunks: list[Any] = joined.encode().translate(_ASCII_TABLE).split() if ascii else _TOKEN_OR_MARK.findall(joined)
        stems = list(map(_STEMS.__getitem__, chunks))
        keys = list(map(_KEYS.__getitem__, chunks)) if self._need_keys else stems
        found: dict[int, list[int]] = {}
        negators: set[int] = set()
        for automaton, tokens in zip(self._automata, (stems, keys), strict=True):
            if automaton is not None:
                self._scan(automaton, tokens, stems, keys, found, negators)
        if not found:
            return {}
        marks = [-1]  # the index of each turn's separator token, so a token's turn is a bisection away
        for _ in range(len(texts) - 1):
            marks.append(stems.index(_SEP, marks[-1] + 1))
        occurrences: dict[int, list[_Occurrence]] = {}
        sides: dict[int, tuple[list[_Occurrence], list[_Occurrence]]] = {}
        for uid, firsts in found.items():
            size = self._lengths[uid]
            hits = []
            for first in firsts:
                turn = bisect_right(marks, first) - 1
                local = first - marks[turn] - 1
                hits.append((turn, local, local + size, first))
            for pattern, side in self._owners[uid]:
                if self._near[pattern] is None:
                    occurrences.setdefault(pattern, []).extend(hits)
                else:
                    sides.setdefault(pattern, ([], []))[side].extend(hits)
        for pattern, (lefts, rights) in sides.items():
            pairs = _near_pairs(lefts, rights, self._near[pattern] or 0)
            if pairs:
                occurrences[pattern] = list(pairs)
        words_of: list[Any] = [None] * len(texts)  # per turn: translated bytes (ASCII) or token spans
        result: dict[str, list[PhraseMatch]] = {}
        for pattern, hits in occurrences.items():
            pid = self._ids[pattern]
            matches = result[pid] = []
            for turn, first, last, at in hits if self._ordered[pattern] else sorted(set(hits)):
                text = turns[turn].text
                words = words_of[turn]
                if words is None:
                    words = words_of[turn] = (
                        texts[turn].encode().translate(_ASCII_TABLE)
                        if ascii
                        else list(map(_SPAN, _TOKEN.finditer(texts[turn])))
                    )
                if ascii:  # what is left after splitting off n tokens starts at token n
                    start = len(words) - len(words.split(None, first)[-1])
                    end = len(words) - len(words.split(None, last - 1)[-1]) + len(chunks[at + last - 1 - first])
                else:
                    start, end = words[first][0], words[last - 1][1]
                while text[start] in "'’":  # quotes round a word are not part of it
                    start += 1
                while text[end - 1] in "'’":
                    end -= 1
                negated = bool(negators) and not negators.isdisjoint(range(max(at - first, at - _NEGATION_WINDOW), at))
                matches.append(PhraseMatch(pid, turn, start, end, text[start:end], negated, (first, last)))
        return result

    def _scan(
        self,
        automaton: Any,
        tokens: list[str],
        stems: list[str],
        keys: list[str],
        found: dict[int, list[int]],
        negators: set[int],
    ) -> None:
        """Add the index of the first token of every checked occurrence of a unit to ``found``, and
        the index of every negator to ``negators``."""
        stream = " " + " ".join(tokens) + " "
        n = len(tokens)
        lengths, checks = self._lengths, self._checks
        counted = counted_to = 0  # tokens before stream[counted_to]: hits come nearly in order
        for end, (size, entries) in automaton.iter(stream):
            start = end - size + 1
            if start < counted_to:
                counted = counted_to = 0
            counted += stream.count(" ", counted_to, start)
            counted_to = start
            for uid, offset in entries:
                first = counted - offset
                if uid < 0:
                    negators.add(first)
                    continue
                if first < 0 or first + lengths[uid] > n:
                    continue
                for j, kind, value in checks[uid]:
                    i = first + j
                    if kind == 0:
                        if stems[i] != value:
                            break
                    elif kind == 3:
                        if stems[i] in ("", _SEP):
                            break
                    elif not (keys[i] == value if kind == 1 else keys[i].startswith(value)):
                        break
                else:
                    found.setdefault(uid, []).append(first)


def _near_pairs(lefts: list[_Occurrence], rights: list[_Occurrence], distance: int) -> set[_Occurrence]:
    pairs = set()
    for a in lefts:
        for b in rights:
            if a[0] == b[0]:
                gap = b[1] - a[2] if a[2] <= b[1] else a[1] - b[2] if b[2] <= a[1] else -1
                if 0 <= gap <= distance:
                    pairs.add((a[0], min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3])))
    return pairs


# -- filters the engine applies to matches --------------------------------------------------------


def by_speaker(
    matches: Iterable[PhraseMatch], turns: Sequence[TurnText], speaker: str | Collection[str]
) -> list[PhraseMatch]:
    """The matches in turns of ``speaker`` (a name, or a collection of names)."""
    speakers = {speaker} if isinstance(speaker, str) else set(speaker)
    return [m for m in matches if turns[m.turn].speaker in speakers]


def within_first(
    matches: Iterable[PhraseMatch],
    turns: Sequence[TurnText],
    n_turns: int | None = None,
    seconds: float | None = None,
    *,
    speaker: str | None = None,
) -> list[PhraseMatch]:
    """The matches in the first ``n_turns`` turns (counting only ``speaker``'s turns when given)
    and/or in turns that start within ``seconds`` of the first turn with an offset; a turn without
    ``offset_ms`` cannot be placed in time and is kept. Both limits given: both must hold."""
    if n_turns is None and seconds is None:
        raise ValueError("within_first needs n_turns or seconds")
    allowed = set(range(len(turns)))
    if n_turns is not None:
        allowed &= set([i for i, t in enumerate(turns) if speaker is None or t.speaker == speaker][:n_turns])
    if seconds is not None:
        zero = next((t.offset_ms for t in turns if t.offset_ms is not None), 0)
        allowed -= {i for i, t in enumerate(turns) if t.offset_ms is not None and t.offset_ms - zero > seconds * 1000}
    return [m for m in matches if m.turn in allowed]


def before(a_matches: Iterable[PhraseMatch], b_matches: Iterable[PhraseMatch]) -> list[PhraseMatch]:
    """The matches of a that start before the first match of b starts (all of a when b has none)."""
    firsts = [(m.turn, m.start) for m in b_matches]
    if not firsts:
        return list(a_matches)
    limit = min(firsts)
    return [m for m in a_matches if (m.turn, m.start) < limit]


def after(a_matches: Iterable[PhraseMatch], b_matches: Iterable[PhraseMatch]) -> list[PhraseMatch]:
    """The matches of a that start after the first match of b ends (none when b has none)."""
    ends = [(m.turn, m.start, m.end) for m in b_matches]
    if not ends:
        return []
    turn, _, end = min(ends)
    return [m for m in a_matches if (m.turn, m.start) >= (turn, end)]
