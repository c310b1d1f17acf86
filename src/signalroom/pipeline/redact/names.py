"""Person names without a trained NER model: cue phrases, a first-name lexicon and known customer names.

The lexicon is the first-name list that ships inside the `gender-guesser` package (about 40,000 names from
many countries). It contains many ordinary English words ("Will", "May", "Hope", "Just", "The"), so a
capitalised token only counts as a name when it is not a stop word and, at the start of a sentence, when a
surname follows it or a cue ("Hi …", "… here", "thanks …") frames it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS


def _words(text: str) -> list[str]:
    """A word list written as text (data reads better as lines of words than as one string per line)."""
    return text.split()


LABEL = "PERSON"

# A capitalised word: Ann, O'Brien, MacDonald, Mary-Jane.
NAME_TOKEN = r"[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:[-'’][A-Z][a-z]+)?"
CAP_TOKEN = re.compile(r"\b" + NAME_TOKEN + r"\b")
_LOWER_TOKEN = r"[a-z][a-z'’-]+"

# Ordinary words that the lexicon also lists as first names, plus calendar and contact-centre words.
_COMMON = _words(
    """
    the and but for not you your yours our ours can could would should will may might must shall just
    still also done okay ok yes yeah yep nope hello hi hey dear thanks thank cheers sorry please great
    good fine right sure well oh ah so then now here there what when where who why how which this that
    these those its it's all any each every both either neither some such only own same than too very
    one two three four five six seven eight nine ten first second third last next new old big long
    little bit lot lots let get got make made take took give gave see saw say said tell told ask asked
    call called help card cards bank money cash pay paid bill account phone mobile data plan offer deal
    line code pin pac sim app online web email text message chat monday tuesday wednesday thursday
    friday saturday sunday today tomorrow yesterday morning afternoon evening night week weekend month
    year january february march april june july august september october november december spring summer
    autumn fall winter christmas easter visa amex mastercard paypal apple google amazon android iphone
    samsung customer care service team support manager agent sir madam mr mrs ms miss dr wait hold
    transfer sorry issue problem refund credit debit charge charges payment payments order orders
    delivery tracking address postcode number numbers date birth name names details anything something
    nothing everything someone anyone everyone nobody thing things way ways time times day days minute
    minutes hour hours home work office shop store bye goodbye welcome regards sincerely best kind many
    much more most less general internet broadband network signal wifi router engineer upgrade contract
    unlimited loan mortgage transaction dispute balance statement branch limit pending standard premium
    gold basic plus pro street road lane park avenue drive close way court crescent view place square
    ireland france india china jordan kenya georgia chad israel london paris victoria sydney austin
    dallas
    """
)
_PEOPLE = (
    "somebody someone anybody anyone everybody nobody customer customers agent agents advisor adviser person human "
    "representative rep staff colleague supervisor team him her them you me us"
)
STOPWORDS: frozenset[str] = frozenset(w.lower() for w in _COMMON) | SPACY_STOP_WORDS | frozenset(_PEOPLE.split())

# Words that are names as often as not: a name only with a surname after them or after a greeting.
_AMBIGUOUS = _words(
    """
    love hope faith grace joy rose lily ivy holly daisy iris violet ruby pearl amber crystal dawn summer
    star sky rain storm river brook dale glen wood hill bay mark bill will rich pat sue nick rob chance
    chase hunter archer baker mason taylor cook carter miller fisher porter major king queen prince duke
    earl baron lord lady bishop pope saint angel christian moon sun may june april august royal young
    early happy lucky sunny sandy rusty honey candy ginger cherry olive hazel jade coral sage ash gray
    grey green white black brown red blue gold silver case page price max sam
    """
)
AMBIGUOUS: frozenset[str] = frozenset(_AMBIGUOUS) - STOPWORDS

GREETING_WORDS = frozenset(
    _words(
        """
        hi hello hey dear thanks thank cheers morning afternoon evening bye goodbye sorry welcome
        """
    )
)
_STRONG_CUE_WORDS = frozenset(
    _words(
        """
    name name's call spoke speaking talking through ask holder
    """
    )
)
# On the lower-cased text: the cue, then the name (any case) starts right after it.
STRONG_CUE = re.compile(
    r"\b(?:my name is|my name's|name is|name's|call me|spoke (?:to|with)|speaking (?:to|with)|talking to|"
    r"you're through to|ask for|account holder is|in the name of)[:,]?[ \t]+"
)
# Right before a capitalised token (searched in the lower-cased 20 characters before it).
_WEAK_BEFORE = re.compile(
    r"\b(this is|it's|it is|i'm|i am|hi|hello|hey|dear|thanks|thank you|cheers|morning|afternoon|evening|bye|"
    r"goodbye|sorry|welcome)[:,]?[ \t]+$"
)
_HERE_AFTER = re.compile(r"[ \t]+(?:here|speaking)\b")
_NEXT_NAME = re.compile(r"[ \t]+(" + NAME_TOKEN + r")\b")
_NEXT_ANY = re.compile(r"[ \t]+(" + NAME_TOKEN + r"|" + _LOWER_TOKEN + r")\b")
_FIRST_ANY = re.compile(r"(" + NAME_TOKEN + r"|" + _LOWER_TOKEN + r")\b")
SIGN_OFF = re.compile(
    r"\b(?:thanks|regards|wishes|sincerely|cheers|best|yours)[,!.]?[ \t]*\r?\n\s*("
    + NAME_TOKEN
    + r"(?:[ \t]+"
    + NAME_TOKEN
    + r"){0,2})",
    re.IGNORECASE,
)
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+(" + NAME_TOKEN + r")")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;\"“(]\s*|\n\s*)$")


@functools.cache
def lexicon() -> frozenset[str]:
    """First names from gender-guesser's list, minus stop words (empty if the package is missing)."""
    try:
        import gender_guesser
    except ImportError:  # pragma: no cover - optional data
        return frozenset()
    path = Path(gender_guesser.__file__).parent / "data" / "nam_dict.txt"
    names: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line[:1] in "#=" or len(line) < 30:
                continue
            parts = line.split()
            if len(parts) < 2:
                continue
            name = parts[1]
            if "+" in name or len(name) < 3 or not name.isalpha() or not name[0].isupper():
                continue
            if name.lower() not in STOPWORDS and name.lower() not in AMBIGUOUS:
                names.add(name)
    return frozenset(names)


def _surname_end(text: str, end: int, max_tokens: int = 2) -> int:
    """Extend a first name over the capitalised, non-stop-word tokens that follow it."""
    for _ in range(max_tokens):
        m = _NEXT_NAME.match(text, end)
        if not m or m.group(1).lower() in STOPWORDS:
            break
        end = m.end()
    return end


def lower_same_length(text: str) -> str:
    """The text lower-cased with every offset kept (a few characters lower-case to two)."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c.lower()[0] for c in text)


def _result(start: int, end: int, score: float, how: str) -> RecognizerResult:
    return RecognizerResult(LABEL, start, end, score, recognition_metadata={"how": how})


class NameRecognizer(EntityRecognizer):
    """PERSON from cue phrases ("my name is …", "… here", sign-offs, "Mr …") and the first-name lexicon."""

    def __init__(self, *, use_lexicon: bool = True) -> None:
        self.use_lexicon = use_lexicon
        super().__init__(supported_entities=[LABEL], name="SignalroomNameRecognizer", supported_language="en")

    def load(self) -> None:
        if self.use_lexicon:
            lexicon()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if LABEL not in entities:
            return []
        names = lexicon() if self.use_lexicon else frozenset()
        low = lower_same_length(text)
        found: list[RecognizerResult] = []
        if "name" in low or not _STRONG_CUE_WORDS.isdisjoint(low.split()):
            for m in STRONG_CUE.finditer(low):
                # "my name is john": lower case allowed; "talking to X" only for a capitalised X
                lowercase_ok = "name" in m.group(0) or "call me" in m.group(0)
                t = (_FIRST_ANY if lowercase_ok else CAP_TOKEN).match(text, m.end())
                if t and t.group(0).lower() not in STOPWORDS:
                    end = t.end()
                    for _ in range(2):  # one or two more tokens of the same shape
                        n = _NEXT_ANY.match(text, end)
                        if not n or n.group(1).lower() in STOPWORDS:
                            break
                        end = n.end()
                    found.append(_result(m.end(), end, 0.85 if lowercase_ok else 0.75, "cue"))
        for m in CAP_TOKEN.finditer(text):
            token = m.group(0)
            folded = token.lower()
            if folded in STOPWORDS:
                continue
            in_lexicon = token in names
            ambiguous = folded in AMBIGUOUS
            end = _surname_end(text, m.end())
            weak = _WEAK_BEFORE.search(low, max(0, m.start() - 20), m.start())
            if weak:
                greeting = weak.group(1).split()[0] not in ("this", "it's", "it", "i'm", "i")
                if in_lexicon or end > m.end() or (greeting and ambiguous):
                    found.append(_result(m.start(), end, 0.8, "greeting"))
                continue
            if not (in_lexicon or ambiguous):
                continue
            if _HERE_AFTER.match(text, end):
                found.append(_result(m.start(), end, 0.8, "here"))
            elif ambiguous and end == m.end():
                continue
            elif end == m.end() and _SENTENCE_START.search(text, 0, m.start()):
                continue  # "Grace, ..." or "Will you ..." at a sentence start: too weak alone
            else:
                found.append(_result(m.start(), end, 0.7 if end > m.end() else 0.65, "lexicon"))
        if "\n" in text:
            for m in SIGN_OFF.finditer(text):
                if m.group(1).split()[0].lower() not in STOPWORDS:
                    found.append(_result(m.start(1), m.end(1), 0.85, "sign-off"))
        if "M" in text or "D" in text:
            for m in _TITLE.finditer(text):
                if m.group(1).lower() not in STOPWORDS:
                    found.append(_result(m.start(1), _surname_end(text, m.end(1), 1), 0.85, "title"))
        return found


def known_name_parts(known_names: Iterable[str]) -> tuple[str, ...]:
    """Full names and their parts (≥ 2 letters, not stop words), longest first, de-duplicated."""
    parts: set[str] = set()
    for full in known_names:
        full = " ".join(full.split())
        if not full:
            continue
        parts.add(full)
        for p in re.split(r"[\s,]+", full):
            if len(p) >= 2 and p.lower() not in STOPWORDS and re.search(r"[^\W\d_]", p):
                parts.add(p)
    return tuple(sorted(parts, key=lambda p: (-len(p), p)))


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def known_spans(text: str, parts: Sequence[str]) -> list[tuple[int, int]]:
    """Where any of the name parts (longest first) occurs as a whole word, case-insensitively.

    A substring search per part: every interaction has its own names, so a compiled pattern per
    interaction would cost more to build than to run."""
    low = lower_same_length(text)
    taken: list[tuple[int, int]] = []
    for part in parts:
        needle = part.lower()
        start = low.find(needle)
        while start >= 0:
            end = start + len(needle)
            whole = (start == 0 or not _is_word(text[start - 1])) and (end == len(text) or not _is_word(text[end]))
            if whole and all(end <= a or b <= start for a, b in taken):
                taken.append((start, end))
            start = low.find(needle, start + 1)
    return sorted(taken)


class KnownNameRecognizer(EntityRecognizer):
    """PERSON for the names the caller knows (customer profile, agent roster); built per call, ad hoc."""

    def __init__(self, parts: tuple[str, ...]) -> None:
        self.parts = parts
        super().__init__(supported_entities=[LABEL], name="SignalroomKnownNameRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if LABEL not in entities or not self.parts:
            return []
        return [_result(start, end, 0.95, "known") for start, end in known_spans(text, self.parts)]
