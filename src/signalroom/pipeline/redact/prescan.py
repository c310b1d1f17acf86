"""The cheap gate in front of Presidio: which recognizer labels could possibly fire on a text.

Most turns ("Is there anything else I can help you with today?") hold nothing that could be PII: no digit,
no '@', no digit word, no name. For them the pre-scan returns an empty set and the text is returned unchanged
without Presidio ever seeing it. For the rest it returns only the labels whose cues are present, so Presidio
runs just those recognizers. The text is split into lower-case words once and every keyword check is a set
intersection (Python's `re` is slow on case-insensitive alternations); the few regular expressions left are
anchored on a digit or a capital. The pre-scan must never be stricter than the recognizers behind it: the
evaluation compares recall with it on and off.
"""

from __future__ import annotations

import re

from .names import AMBIGUOUS, CAP_TOKEN, GREETING_WORDS, NAME_TOKEN, SIGN_OFF, STOPWORDS, STRONG_CUE, lexicon
from .recognizers import SPOKEN_RUN


def _words(text: str) -> list[str]:
    """A word list written as text (data reads better as lines of words than as one string per line)."""
    return text.split()


_WORDS = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"\d")
# 6+ digits with at most single separators between them: cards, phones, accounts, SSNs, routing numbers.
_LONG_DIGITS = re.compile(r"\d(?:[ \-./]?\d){5,}")
_LETTERS_DIGITS = re.compile(r"\b[A-Za-z]{1,2} ?\d")  # IBAN, NI number, UK postcode
_STREET = re.compile(r"\b\d{1,5}[A-Za-z]?,?\s+[A-Z]")
_STATE_ZIP = re.compile(r"\b[A-Z]{2}\s+\d{5}\b")
_DATE_NUM = re.compile(r"\d[/.-]\d|\b(?:19|20)\d\d\b")
_PAIR = re.compile(r"\b(" + NAME_TOKEN + r")[ \t]+(" + NAME_TOKEN + r")\b")
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z]")

# Words that open a context rule (recognizers.RULES), as the word splitter sees them.
KEYWORDS = frozenset(
    _words(
        """
        pin passcode pass cvv cvv2 cvc cvc2 csc cv security digits digit expiry expires expire expired
        expiration exp valid ending ends sort sortcode routing aba transit account acct ssn social born
        birth dob birthday post postcode zip zipcode postal
        """
    )
)
DIGIT_WORDS = frozenset(
    _words(
        """
        zero oh nought nil one two three four five six seven eight nine double triple treble
        """
    )
)
_NAME_CUE_WORDS = frozenset(
    _words(
        """
    name s call spoke speaking talking through ask holder
    """
    )
)
AMBIGUOUS_CAPITALISED = frozenset(w.capitalize() for w in AMBIGUOUS)

DIGIT_LABELS = frozenset(
    {"CREDIT_CARD", "PHONE_NUMBER", "IBAN_CODE", "US_SSN", "BANK_ACCOUNT", "ROUTING_NUMBER", "UK_NINO"}
)
CONTEXT_LABELS = frozenset(
    {
        "PIN",
        "CVV",
        "CARD_EXPIRY",
        "CARD_LAST_DIGITS",
        "ROUTING_NUMBER",
        "BANK_ACCOUNT",
        "US_SSN",
        "DATE_OF_BIRTH",
        "POSTCODE",
    }
)


def _names_possible(text: str, low: str, words: list[str], known_lower: tuple[str, ...]) -> bool:
    """True when the name recognizers could fire: mirrors their cues (see names.NameRecognizer)."""
    if known_lower and any(p in low for p in known_lower):
        return True
    if not _NAME_CUE_WORDS.isdisjoint(words) and STRONG_CUE.search(low):
        return True
    tokens = CAP_TOKEN.findall(text)
    if not tokens:
        return False
    if not lexicon().isdisjoint(tokens):
        return True
    for m in _PAIR.finditer(text):
        if m.group(2).lower() not in STOPWORDS:
            return True  # "It's Tunde Clarke": a cue or first name, then a surname
    if not AMBIGUOUS_CAPITALISED.isdisjoint(tokens) and not GREETING_WORDS.isdisjoint(words):
        return True  # "Hi Grace"
    return bool(_TITLE.search(text) or ("\n" in text and SIGN_OFF.search(text)))


def prescan(text: str, known_lower: tuple[str, ...] = ()) -> set[str]:
    """Recognizer labels worth running on `text` (empty: nothing there can be PII)."""
    labels: set[str] = set()
    if not text:
        return labels
    low = text.lower()
    words = _WORDS.findall(low)
    if "@" in text:
        labels.add("EMAIL_ADDRESS")
    keyword = not KEYWORDS.isdisjoint(words) or "last four" in low or "last 4" in low
    if _DIGIT.search(text):
        if _LONG_DIGITS.search(text):
            labels |= DIGIT_LABELS
        if _LETTERS_DIGITS.search(text):
            labels |= {"IBAN_CODE", "UK_NINO", "POSTCODE"}
        if _STREET.search(text) or "box" in words:
            labels.add("STREET_ADDRESS")
        if _STATE_ZIP.search(text):
            labels.add("POSTCODE")
        if _DATE_NUM.search(text):
            labels.add("DATE_OF_BIRTH")
        if keyword:
            labels |= CONTEXT_LABELS
    if not DIGIT_WORDS.isdisjoint(words) and SPOKEN_RUN.search(low):
        labels.add("SPOKEN_NUMBER")
        if keyword:
            labels |= {"PIN", "CVV"}
    if _names_possible(text, low, words, known_lower):
        labels.add("PERSON")
    return labels
