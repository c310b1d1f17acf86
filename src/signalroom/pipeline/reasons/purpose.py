"""What the customer came for: the first substantive customer turns of an interaction.

Greetings ("Hiya."), small talk, politeness, verification answers (dates of birth, postcodes,
addresses, card digits, "yes that's right") and sign-offs are dropped; the first turns that are
left are kept up to ``max_chars``. A greeting glued to the reason ("Hiya, I need to cancel my card")
is trimmed, not dropped.
"""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from signalroom.pipeline.views import InteractionView

MAX_CHARS = 400
MAX_TURNS = 2
ENOUGH_CHARS = 60  # a first turn this long states the reason: later turns are details

_GREETING = re.compile(
    r"^\s*(?:(?:hi|hiya|hello|hey|hallo|there(?=\s*,)|sorry(?=\s*[,.!])|"
    r"good (?:morning|afternoon|evening)|morning|afternoon|evening|"
    r"yes|yeah|yep|oh|um+|uh+|er+m?|right|okay|ok|so|well|hi there|hello there|thanks?(?: you)?|cheers)"
    r"\b[\s,.!-]*)+",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?:^|\s)@\w+")
_FILLER = re.compile(
    r"^(?:(?:hi|hiya|hello|hey|yes|yeah|yep|no|nope|nah|ok|okay|right|sure|fine|great|lovely|perfect|"
    r"thanks?|thank you|cheers|bye|goodbye|ta|alright|fair enough|that'?s (?:right|correct|it|everything|all)|"
    r"correct|exactly|one sec(?:ond)?|hold on|sorry|pardon|yes please|no thanks|"
    r"i'?m (?:fine|good|well)|not bad|you too|same to you)[\s,.!?-]*)+$",
    re.IGNORECASE,
)
_SMALL_TALK = re.compile(
    r"\b(?:how are you|hope you'?re well|lovely weather|not (?:really )?sure who i need to (?:speak|talk) to|"
    r"to be honest|i'?m (?:a bit|quite|really|so) (?:worried|stressed|annoyed|fed up)(?: about it)?|"
    r"(?:they said )?you'?re the right (?:people|person|team)(?: for this)?|going round in circles|"
    r"(?:is|are) making a racket(?: in the background)?|i'?ve been trying to sort (?:something|this) out(?: for days)?|"
    r"(?:was )?hoping you c(?:ould|uold) help|can you help me|i have a (?:quick )?question|"
    r"just one other thing|that'?s (?:everything|all|it)|you'?ve been (?:really |very )?helpful|"
    r"thanks? (?:a lot|so much|for (?:your help|sorting|that))|have a (?:good|nice) day|take care)\b",
    re.IGNORECASE,
)
_VERIFY = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}|"
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|"
    r"[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}|"  # UK postcode
    r"(?:ends?|ending)(?: in)? \d{3,4}|last (?:four|4) (?:digits )?(?:are|is)? ?\d{4}|"
    r"my (?:date of birth|dob|postcode|post code|zip|account number|sort code|security answer|"
    r"memorable (?:word|answer)|name) is)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z']+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _is_verification(text: str) -> bool:
    """Answers to security questions: dates, postcodes, card digits, names and numbers, and little else."""
    if not _VERIFY.search(text):
        return False
    rest = _VERIFY.sub(" ", text)
    rest = re.sub(r"\d+|[^\w\s']", " ", rest)
    content = [w for w in _WORD.findall(rest) if len(w) > 3]
    return len(content) <= 6


def _keep_sentence(sentence: str) -> str:
    t = _GREETING.sub("", sentence).strip()
    if not t or _FILLER.match(t) or _is_verification(t):
        return ""
    if _SMALL_TALK.search(t):
        rest = [w for w in _WORD.findall(_SMALL_TALK.sub(" ", t)) if w.lower() not in ENGLISH_STOP_WORDS]
        if len(rest) < 2:
            return ""
    return t


def clean_turn(text: str) -> str:
    """The turn without a social handle, greetings, small talk and verification answers, sentence by
    sentence; empty when nothing substantive is left."""
    t = _HANDLE.sub(" ", text).strip()
    kept = [k for k in map(_keep_sentence, _SENTENCE.split(t)) if k]
    out = " ".join(kept)
    return out[:1].upper() + out[1:]


def purpose_text(view: InteractionView, *, max_chars: int = MAX_CHARS, max_turns: int = MAX_TURNS) -> str:
    """The customer side of ``view``: their first ``max_turns`` substantive turns, at most
    ``max_chars`` characters (cut at a word). Falls back to all customer text when no turn is
    substantive, and to "" when the customer said nothing."""
    kept: list[str] = []
    for turn in view.customer_turns():
        cleaned = clean_turn(turn.text)
        if cleaned:
            kept.append(cleaned)
            if len(kept) >= max_turns or sum(map(len, kept)) >= ENOUGH_CHARS:
                break
    text = " ".join(kept) if kept else view.customer_text().strip()
    if len(text) > max_chars:
        cut = text[:max_chars]
        text = cut[: cut.rfind(" ")] if " " in cut else cut
    return text
