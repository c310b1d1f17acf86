"""Recognizers for the entities Presidio has no pattern for: digits in context, addresses, spoken digits.

Presidio's own context enhancement needs lemmas, which a blank spaCy pipeline does not produce, so the
context rules here are plain regular expressions over the text around a keyword.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

DIGIT_WORDS = {
    "zero": 1,
    "oh": 1,
    "o": 1,
    "nought": 1,
    "nil": 1,
    "one": 1,
    "two": 1,
    "three": 1,
    "four": 1,
    "five": 1,
    "six": 1,
    "seven": 1,
    "eight": 1,
    "nine": 1,
    "double": 0,  # doubles the next digit: counted with it
    "triple": 0,
    "treble": 0,
}
_WORD = r"(?:zero|oh|o|nought|nil|one|two|three|four|five|six|seven|eight|nine|double|triple|treble|\d)"
_SEP = r"(?:[ \t]*[,.\-…]*[ \t]+|[ \t]*-[ \t]*)"
# A run of digit words (single digits allowed in between): "zero six six nine seven", "four double oh 7".
SPOKEN_RUN = re.compile(r"(?<![\w'’])" + _WORD + r"(?:" + _SEP + _WORD + r"){2,}(?![\w'’])", re.IGNORECASE)
_DW = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"
# A short run of digit words after a keyword (a spoken PIN or CVV), not the start of a longer run.
SPOKEN_VALUE = r"(?:" + _DW + r"[ \t,-]+){2,}" + _DW + r"\b(?![ \t,-]+" + _DW + r"\b)"


def spoken_digits(run: str) -> int:
    """How many digits a run of digit words stands for ("double oh" is two)."""
    count = 0
    multiplier = 1
    for token in re.findall(r"[a-z]+|\d", run.lower()):
        if token in ("double",):
            multiplier = 2
        elif token in ("triple", "treble"):
            multiplier = 3
        elif token in DIGIT_WORDS or token.isdigit():
            count += multiplier
            multiplier = 1
    return count


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE = (
    r"(?:\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTH + r"\.?,?\s+(?:19|20)\d{2}\b"
    r"|\b" + _MONTH + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2}\b)"
)
_DATE_RE = re.compile(DATE, re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d{2}\b|\b\d{2}$")
UK_POSTCODE = r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b"
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
STREET_TYPES = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Crescent|Cres|Gardens|Gdns|"
    r"Terrace|Grove|Park|Hill|Row|Walk|Square|Sq|Mews|Rise|View|Boulevard|Blvd|Parade|Green|Gate|Vale|Wharf|"
    r"Circle|Cir|Highway|Hwy|Trail|Parkway|Pkwy|Heights|Meadows?|Fields?|Wynd|Brae|Loan)"
)
STREET = r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z'’]+\s+){0,3}" + STREET_TYPES + r"\b\.?"


class AddressRecognizer(PatternRecognizer):
    """STREET_ADDRESS ("125 Meadow View") and POSTCODE (UK postcodes, "IL 62704", "PO Box 12")."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            name="SignalroomAddressRecognizer",
            patterns=[
                Pattern("number + street", STREET, 0.75),
                Pattern("PO box", r"\b(?:P\.?O\.?\s*Box|Post Office Box)\s+\d{1,6}\b", 0.75),
            ],
            global_regex_flags=re.MULTILINE,
        )


class PostcodeRecognizer(PatternRecognizer):
    """POSTCODE: UK postcodes written in capitals, US state + ZIP."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="POSTCODE",
            name="SignalroomPostcodeRecognizer",
            patterns=[
                Pattern("UK postcode", UK_POSTCODE, 0.7),
                Pattern("US state ZIP", r"\b(?:" + _US_STATES + r")\s+\d{5}(?:-\d{4})?\b", 0.7),
            ],
            global_regex_flags=re.MULTILINE,
        )


@dataclass(frozen=True)
class ContextRule:
    label: str
    keyword: str  # regex, case-insensitive
    value: str  # regex, case-insensitive, searched in the window after the keyword
    score: float = 0.85
    window: int = 45
    check: Callable[[str], bool] | None = None


_NUMBER_WORD = r"(?:number|no\.?|#|code|num)"
# A digit group on its own: not a piece of a longer number ("5385" in "5385-3560-6883-0011", "7506" in a phone).
_L = r"(?<![\d\-/.])(?<!\d )"
_R = r"(?![\-/.]?\d)(?! \d)"
RULES: tuple[ContextRule, ...] = (
    ContextRule(
        "PIN", r"\b(?:pin|passcode|pass code)(?:\s+(?:number|code))?\b", _L + r"\d{4,6}" + _R + "|" + SPOKEN_VALUE
    ),
    ContextRule(
        "CVV",
        r"\b(?:cvv2?|cvc2?|csc|cv2|security code|security number|(?:three|3|four|4) digits? (?:on|at) the back)\b",
        _L + r"\d{3,4}" + _R + "|" + SPOKEN_VALUE,
    ),
    ContextRule(
        "CARD_EXPIRY",
        r"\b(?:expir\w*|exp\.?(?: date)?|valid (?:until|thru|through|to))\b",
        r"\b(?:0?[1-9]|1[0-2])\s?[/.-]\s?(?:20)?\d{2}\b|\b" + _MONTH + r"\.?,?\s+(?:20)?\d{2}\b",
    ),
    ContextRule(
        "CARD_LAST_DIGITS",
        r"\b(?:last (?:four|4)(?: digits| numbers)?(?: of (?:\w+ ){0,2}card)?"
        r"|card end(?:ing|s)(?: in| with)?|ending in)\b",
        _L + r"\d{4}" + _R,
        score=0.75,
        window=25,
    ),
    ContextRule("ROUTING_NUMBER", r"\bsort[\s-]?code\b", r"\b\d{2}[- ]\d{2}[- ]\d{2}\b|\b\d{6}\b"),
    ContextRule("ROUTING_NUMBER", r"\b(?:routing|aba|transit)(?:\s+" + _NUMBER_WORD + r")?\b", r"\b\d{9}\b"),
    ContextRule(
        "BANK_ACCOUNT",
        r"\b(?:account|acct)(?:\s+" + _NUMBER_WORD + r")\b|\baccount\s+is\b",
        _L + r"\d{6,17}" + _R,
    ),
    ContextRule(
        "US_SSN",
        r"\b(?:ssn|social security(?:\s+" + _NUMBER_WORD + r")?|social)\b",
        r"\b\d{3}[- .]?\d{2}[- .]?\d{4}\b",
        score=0.9,
    ),
    ContextRule(
        "DATE_OF_BIRTH",
        r"\b(?:born|birth|dob|birthday)\b",
        DATE,
        score=0.9,
        window=60,
    ),
    ContextRule(
        "POSTCODE",
        r"\b(?:post\s?code|zip(?:\s?code)?|postal code)\b",
        UK_POSTCODE + r"|\b\d{5}(?:-\d{4})?\b",
        score=0.85,
    ),
)


def _plausible_numeric(date: str) -> bool:
    """A numeric date needs a month (≤ 12) and a day (≤ 31): "12-34-56" is a sort code, not a date."""
    parts = re.findall(r"\d+", date)
    if len(parts) != 3 or not date[:1].isdigit() or len(parts[0]) == 4:
        return True
    a, b = int(parts[0]), int(parts[1])
    return 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12


class ContextRecognizer(EntityRecognizer):
    """Digits (or digit words) within a short window after a keyword: PIN, CVV, expiry, sort code, account,
    routing number, SSN, date of birth, postcode, the last four digits of a card. A full date whose year is a
    plausible birth year (1900 to `birth_year_max`) counts as a date of birth even without a keyword."""

    def __init__(self, *, birth_year_max: int = 2012) -> None:
        self.birth_year_max = birth_year_max
        self._rules = [
            (r, re.compile(r.keyword, re.IGNORECASE), re.compile(r.value, re.IGNORECASE | re.UNICODE)) for r in RULES
        ]
        labels = sorted({r.label for r in RULES})
        super().__init__(supported_entities=labels, name="SignalroomContextRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        found: list[RecognizerResult] = []
        wanted = set(entities)
        for rule, keyword, value in self._rules:
            if rule.label not in wanted:
                continue
            for k in keyword.finditer(text):
                v = value.search(text, k.end(), min(len(text), k.end() + rule.window))
                if v and (rule.check is None or rule.check(v.group(0))):
                    meta = {"how": "context", "keyword": k.group(0).lower()}
                    found.append(
                        RecognizerResult(rule.label, v.start(), v.end(), rule.score, recognition_metadata=meta)
                    )
        if "DATE_OF_BIRTH" in wanted:
            for m in _DATE_RE.finditer(text):
                year = _YEAR.search(m.group(0))
                if not year:
                    continue
                if not _plausible_numeric(m.group(0)):
                    continue
                y = int(year.group(0))
                y = y if y >= 100 else (1900 + y if y > self.birth_year_max % 100 else 2000 + y)
                if 1900 <= y <= self.birth_year_max:
                    meta = {"how": "birth-year"}
                    found.append(RecognizerResult("DATE_OF_BIRTH", m.start(), m.end(), 0.6, recognition_metadata=meta))
        return found


class SpokenNumberRecognizer(EntityRecognizer):
    """SPOKEN_NUMBER: a run of digit words long enough to be an identifier ("zero seven seven double oh …").

    `min_digits` digits are needed alone, `context_min_digits` after a word such as number, code, card,
    account, phone or postcode."""

    CONTEXT = re.compile(
        r"\b(?:number|no|code|card|account|phone|mobile|postcode|zip|reference|ref|pin|id|digits)\b[^.!?\n]{0,25}$",
        re.IGNORECASE,
    )

    def __init__(self, *, min_digits: int = 6, context_min_digits: int = 4) -> None:
        self.min_digits = min_digits
        self.context_min_digits = context_min_digits
        super().__init__(supported_entities=["SPOKEN_NUMBER"], name="SignalroomSpokenNumberRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if "SPOKEN_NUMBER" not in entities:
            return []
        found = []
        for m in SPOKEN_RUN.finditer(text):
            run = m.group(0)
            if not re.search(r"[a-z]", run, re.IGNORECASE):
                continue  # plain digits: the pattern recognizers' business
            n = spoken_digits(run)
            if n >= self.min_digits or (
                n >= self.context_min_digits and self.CONTEXT.search(text, max(0, m.start() - 40), m.start())
            ):
                meta = {"how": "spoken", "digits": n}
                found.append(RecognizerResult("SPOKEN_NUMBER", m.start(), m.end(), 0.8, recognition_metadata=meta))
        return found


_OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer, validating domains against tldextract's bundled suffix list (no network)."""

    def validate_result(self, pattern_text: str) -> bool:
        return bool(_OFFLINE_TLD(pattern_text).fqdn != "")


class ConfidentPhoneRecognizer(PhoneRecognizer):
    """Presidio's phonenumbers-based recognizer for the given regions. Its base score (0.4) expects a context
    boost that a blank pipeline cannot give; a number that phonenumbers validates is confident enough."""

    SCORE = 0.7
