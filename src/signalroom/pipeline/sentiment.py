"""Per-turn sentiment and its trajectory over an interaction.

The scorer is VADER (Hutto & Gilbert 2014, the ``vaderSentiment`` package): its valence lexicon
and its rules (negation in the three words before a sentiment word, boosters such as "really",
"but" shifting weight to the second clause, exclamation marks, words in capitals, the
``x / sqrt(x² + 15)`` normalisation), re-implemented over a single tokenisation pass so that
a turn costs a few microseconds, and adapted to contact-centre language:

* domain words and phrases: "declined", "charged twice", "still not fixed", "third time I've
  called", "make a complaint", "this is a joke" are negative; "sorted", "that's resolved" positive;
* dialogue acts that VADER reads as sentiment are neutral here ("yes", "no", "okay", "please",
  "help", "I'd like", "credit", "interest", "security", "card", "lost my card" is milder);
* agents' courtesy and empathy formulas ("thank you for calling", "sorry to hear that", "I
  understand how frustrating that must be", "unfortunately") carry no sentiment, so an agent's
  empathy is never counted as negativity;
* a customer's closing ritual ("no, that's all, thanks, bye") is marked ``ritual`` so the
  trajectory's end is read from the last turn that says something;
* a little sarcasm: a lone "Great." / "Oh brilliant" in a turn that is otherwise negative is
  negative, and "thanks for nothing", "yeah right" are phrases.

``trajectory`` turns the scores into a :class:`SentimentSummary`: start, end, minimum, shift,
mean and turn count per party, the customer's overall label, the negative moments (the turn, its
score and the words that drove it, with a ``topic`` slot the pipeline fills with the reason) and
whether the customer recovered from them. Definitions are in ``docs/sentiment.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from typing import Any

from signalroom.pipeline.records import shallow_dict
from signalroom.pipeline.sentiment_lexicon import (
    AGENT_FORMULAS,
    AGENT_NEUTRAL_WORDS,
    ALPHA,
    C_INCR,
    DOMAIN_PHRASES,
    DOMAIN_WORDS,
    EXCLAIM,
    KEEP_APOSTROPHE,
    N_SCALAR,
    RITUAL_PHRASES,
    RITUAL_WORDS,
    SARCASM_LEADS,
    SARCASM_WORDS,
    SENTENCE_BREAKS,
    TOKEN,
)
from signalroom.pipeline.views import InteractionView

__all__ = [
    "NegativeMoment",
    "PartySentiment",
    "SentimentScorer",
    "SentimentSummary",
    "TurnSentiment",
    "trajectory",
]


def _norm(token: str) -> str:
    low = token.lower()
    if "'" not in low and "’" not in low:
        return low
    bare = low.replace("'", "").replace("’", "")
    return low.replace("’", "'") if bare in KEEP_APOSTROPHE else bare


def _expand(pattern: str) -> list[tuple[str, ...]]:
    """All word sequences of a phrase pattern: ``(a|b)`` alternates, ``[x|y]`` optional."""
    parts: list[list[str]] = []
    for m in re.finditer(r"\(([^)]*)\)|\[([^\]]*)\]|([^\s()\[\]]+)", pattern):
        if m.group(1) is not None:
            parts.append([a.strip() for a in m.group(1).split("|")])
        elif m.group(2) is not None:
            parts.append(["", *(a.strip() for a in m.group(2).split("|"))])
        else:
            parts.append([m.group(3)])
    out = []
    for combo in product(*parts):
        words = tuple(w for piece in combo for w in piece.replace("'", "").split())
        if words:
            out.append(words)
    return out


Phrase = tuple[tuple[str, ...], float, str]
PhraseTable = dict[str, dict[str | None, list[Phrase]]]


def _table(entries: Iterable[tuple[str, float, str]]) -> PhraseTable:
    """Phrases indexed by their first word, then by their second (``None``: one-word phrases and
    those with a wildcard second word, which follow any word). Each list is longest first, so a
    token is checked only against the phrases that can start there."""
    by_first: dict[str, dict[str | None, list[Phrase]]] = {}
    for pattern, value, kind in entries:
        for words in _expand(pattern):
            second = words[1] if len(words) > 1 and words[1] != "*" else None
            by_first.setdefault(words[0], {}).setdefault(second, []).append((words, value, kind))
    table: PhraseTable = {}
    for first, by_second in by_first.items():
        anywhere = by_second.get(None, [])
        table[first] = {
            second: sorted(found + anywhere if second is not None else found, key=lambda c: -len(c[0]))
            for second, found in by_second.items()
        }
        table[first].setdefault(None, [])
    return table


@cache
def _resources() -> tuple[dict[str, float], dict[str, float], frozenset[str], PhraseTable, PhraseTable]:
    """(domain lexicon, plain VADER lexicon, negations, customer phrases, agent phrases)."""
    from vaderSentiment.vaderSentiment import NEGATE, SentimentIntensityAnalyzer

    plain = {k.replace("'", ""): v for k, v in SentimentIntensityAnalyzer().lexicon.items()}
    lexicon = dict(plain)
    lexicon.update(DOMAIN_WORDS)
    negate = frozenset(w.replace("'", "") for w in NEGATE) | {"never", "not"}
    domain = [(p, v, "domain") for p, v in DOMAIN_PHRASES.items()]
    ritual = [(p, 0.0, "ritual") for p in RITUAL_PHRASES]
    formulas = [(p, 0.0, "formula") for p in AGENT_FORMULAS]
    return lexicon, plain, negate, _table(domain + ritual), _table(domain + formulas + ritual)


@cache
def _boosters() -> dict[str, float]:
    from vaderSentiment.vaderSentiment import BOOSTER_DICT

    return {k: float(v) for k, v in BOOSTER_DICT.items() if " " not in k}


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnSentiment:
    """One turn's score in [-1, 1] and the lexicon hits behind it, strongest first."""

    seq: int
    speaker: str
    score: float
    label: str  # positive | neutral | negative
    words: tuple[str, ...] = ()  # words/phrases that moved the score, most negative first when < 0
    ritual: bool = False  # only courtesy / closing formulas ("thanks, bye")

    def to_dict(self) -> dict[str, Any]:
        return shallow_dict(self)


@dataclass(frozen=True, slots=True)
class PartySentiment:
    turns: int
    start: float | None
    end: float | None
    minimum: float | None
    mean: float | None
    shift: float | None  # end − start

    def to_dict(self) -> dict[str, Any]:
        return shallow_dict(self)


@dataclass(frozen=True, slots=True)
class NegativeMoment:
    seq: int
    speaker: str
    score: float
    drop: float | None  # fall from the party's previous turn (None on its first turn)
    words: tuple[str, ...]
    recovered: bool  # a later turn of the party is back to neutral or better
    topic: str | None = None  # filled by the pipeline: the reason of the interaction or turn

    def to_dict(self) -> dict[str, Any]:
        return shallow_dict(self)


@dataclass(frozen=True, slots=True)
class SentimentSummary:
    interaction_id: str
    parties: dict[str, PartySentiment]
    label: str  # the customer's overall label: positive | neutral | negative
    trajectory: str  # improving | worsening | flat (the customer's shift)
    negative_moments: tuple[NegativeMoment, ...] = ()
    recovered: bool | None = None  # None: no negative moment; else: the customer ended not negative
    turns: tuple[TurnSentiment, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "interaction_id": self.interaction_id,
            "parties": {k: v.to_dict() for k, v in self.parties.items()},
            "label": self.label,
            "trajectory": self.trajectory,
            "negative_moments": [m.to_dict() for m in self.negative_moments],
            "recovered": self.recovered,
        }


# -- the scorer --------------------------------------------------------------------------------------


class SentimentScorer:
    """VADER adapted to contact-centre language. Options are keyword-only and only stored."""

    def __init__(
        self,
        *,
        domain: bool = True,
        positive_threshold: float = 0.05,
        negative_threshold: float = -0.05,
        moment_threshold: float = -0.3,
        drop_threshold: float = 0.5,
        trajectory_threshold: float = 0.3,
        label_end_weight: float = 0.6,
        cache_size: int = 100_000,
    ) -> None:
        self.domain = domain
        self.positive_threshold = positive_threshold
        self.negative_threshold = negative_threshold
        self.moment_threshold = moment_threshold
        self.drop_threshold = drop_threshold
        self.trajectory_threshold = trajectory_threshold
        self.label_end_weight = label_end_weight
        self.cache_size = cache_size
        self._cache: dict[tuple[str, bool], tuple[float, tuple[str, ...], bool]] = {}

    def get_params(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "positive_threshold": self.positive_threshold,
            "negative_threshold": self.negative_threshold,
            "moment_threshold": self.moment_threshold,
            "drop_threshold": self.drop_threshold,
            "trajectory_threshold": self.trajectory_threshold,
            "label_end_weight": self.label_end_weight,
            "cache_size": self.cache_size,
        }

    def label(self, score: float) -> str:
        if score >= self.positive_threshold:
            return "positive"
        if score <= self.negative_threshold:
            return "negative"
        return "neutral"

    def score(self, text: str, speaker: str = "customer") -> float:
        return self.analyse(text, speaker)[0]

    def analyse(self, text: str, speaker: str = "customer") -> tuple[float, tuple[str, ...], bool]:
        """(score, words that drove it, ritual-only) of one utterance."""
        staff = speaker in ("agent", "bot")
        key = (text, staff)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._analyse(text, staff)
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def score_turn(self, seq: int, speaker: str, text: str) -> TurnSentiment:
        value, words, ritual = self.analyse(text, speaker)
        return TurnSentiment(seq, speaker, value, self.label(value), words, ritual)

    def score_view(self, view: InteractionView) -> tuple[TurnSentiment, ...]:
        return tuple(self.score_turn(t.seq, t.speaker, t.text) for t in view.turns if t.speaker != "system")

    def summarise(self, view: InteractionView, scores: Sequence[TurnSentiment] | None = None) -> SentimentSummary:
        return trajectory(view, self.score_view(view) if scores is None else scores, scorer=self)

    # -- the VADER pass ------------------------------------------------------------------------------

    def _analyse(self, text: str, staff: bool) -> tuple[float, tuple[str, ...], bool]:
        if not text or not text.strip():
            return 0.0, (), False
        lexicon, plain, negate, cust_phrases, staff_phrases = _resources()
        if not self.domain:
            lexicon = plain
        phrases = (staff_phrases if staff else cust_phrases) if self.domain else {}
        boosters = _boosters()
        raw = TOKEN.findall(text)
        shouting = not text.isupper()
        words = [_norm(w) for w in raw]
        n = len(words)
        hits: list[tuple[int, float, str, bool]] = []  # (token index, valence, word, sarcasm-shaped)
        ritual_hits = 0
        sentence_start = 0
        but_at = -1
        exclaims = 0
        questions = 0
        i = 0
        while i < n:
            w = words[i]
            if w in SENTENCE_BREAKS:
                if w == "!":
                    exclaims += 1
                elif w == "?":
                    questions += 1
                sentence_start = i + 1
                i += 1
                continue
            if w == "but" and but_at < 0:
                but_at = i
            by_second = phrases.get(w)
            candidates = None
            if by_second is not None:
                candidates = by_second.get(words[i + 1]) if i + 1 < n else None
                if candidates is None:
                    candidates = by_second[None]
            if candidates:
                matched = False
                for seq_words, phrase_value, kind in candidates:
                    m = len(seq_words)
                    if i + m <= n and all(a == b or a == "*" for a, b in zip(seq_words, words[i : i + m], strict=True)):
                        if kind == "ritual":
                            ritual_hits += 1
                        elif phrase_value != 0.0:
                            hits.append((i, phrase_value, " ".join(seq_words), False))
                        i += m
                        matched = True
                        break
                if matched:
                    continue
            value = lexicon.get(w)
            if value is None or value == 0.0:
                if w in RITUAL_WORDS:
                    ritual_hits += 1
                i += 1
                continue
            if staff and self.domain and w in AGENT_NEUTRAL_WORDS:
                i += 1
                continue
            if not staff and self.domain and w in RITUAL_WORDS:
                ritual_hits += 1
                hits.append((i, value * 0.5, w, False))
                i += 1
                continue
            v = value
            if shouting and raw[i].isupper() and len(raw[i]) > 1:
                v += C_INCR if v > 0 else -C_INCR
            negated = False
            for back, scale in ((1, 1.0), (2, 0.95), (3, 0.9)):
                j = i - back
                if j < sentence_start:
                    break
                prev = words[j]
                b = boosters.get(prev)
                if b is not None:
                    v += (b if v > 0 else -b) * scale
                if prev in negate:
                    negated = True
            if negated:
                v *= N_SCALAR
            j = i + 1
            while j < n and words[j] not in SENTENCE_BREAKS and j - i < 3:
                j += 1
            sentence_len = j - sentence_start
            lead = words[i - 1] if i > sentence_start else ""
            sarcastic_shape = (
                w in SARCASM_WORDS and v > 0 and (sentence_len <= 2 or i == sentence_start or lead in SARCASM_LEADS)
            )
            hits.append((i, v, w, sarcastic_shape))
            i += 1
        if not hits:
            return 0.0, (), ritual_hits > 0
        if (
            self.domain
            and any(h[3] for h in hits)
            and (questions or any(h[1] <= -1.0 and not h[3] for h in hits))
            and not any(h[1] > 0.5 and not h[3] for h in hits)
        ):
            hits = [(k, -abs(v) * 0.8, w, False) if s else (k, v, w, s) for k, v, w, s in hits]
        total = 0.0
        weighted: list[tuple[float, str]] = []
        for k, v, w, _ in hits:
            if but_at >= 0:
                v = v * 0.5 if k < but_at else v * 1.5
            total += v
            weighted.append((v, w))
        if total and exclaims:
            total += math.copysign(min(exclaims, 4) * EXCLAIM, total)
        if total and questions > 1:
            total += math.copysign(min(0.96, 0.18 * questions), total)
        score = round(total / math.sqrt(total * total + ALPHA), 4) if total else 0.0
        score = max(-1.0, min(1.0, score))
        if score < 0:
            ordered = sorted((x for x in weighted if x[0] < 0), key=lambda x: x[0])
        elif score > 0:
            ordered = sorted((x for x in weighted if x[0] > 0), key=lambda x: -x[0])
        else:
            ordered = sorted(weighted, key=lambda x: -abs(x[0]))
        drivers = tuple(dict.fromkeys(w for _, w in ordered))
        ritual = ritual_hits > 0 and all(w in RITUAL_WORDS for _, w in weighted)
        return score, drivers, ritual


# -- the trajectory ----------------------------------------------------------------------------------


def _party(speaker: str) -> str | None:
    if speaker == "customer":
        return "customer"
    if speaker == "agent":
        return "agent"
    if speaker == "bot":
        return "bot"
    return None


def _summary(turns: Sequence[TurnSentiment]) -> PartySentiment:
    if not turns:
        return PartySentiment(0, None, None, None, None, None)
    said = [t for t in turns if not t.ritual] or list(turns)
    start, end = said[0].score, said[-1].score
    values = [t.score for t in turns]
    return PartySentiment(
        turns=len(turns),
        start=start,
        end=end,
        minimum=min(values),
        mean=round(sum(values) / len(values), 4),
        shift=round(end - start, 4),
    )


def trajectory(
    view: InteractionView,
    scores: Sequence[TurnSentiment],
    *,
    scorer: SentimentScorer | None = None,
) -> SentimentSummary:
    """The interaction's sentiment per party, the customer's label and negative moments.

    ``scores`` come from :meth:`SentimentScorer.score_view` (one per non-system turn). Empty
    turns are skipped. Thresholds come from ``scorer`` (defaults when None).
    """
    sc = scorer or SentimentScorer()
    by_party: dict[str, list[TurnSentiment]] = {"customer": [], "agent": []}
    texts = {t.seq: t.text for t in view.turns}
    for s in scores:
        party = _party(s.speaker)
        if party is None or not texts.get(s.seq, "x").strip():
            continue
        by_party.setdefault(party, []).append(s)
    parties = {k: _summary(v) for k, v in by_party.items()}
    cust = parties["customer"]
    if cust.end is None or cust.mean is None:
        label, trend = "neutral", "flat"
    else:
        w = sc.label_end_weight
        label = sc.label(w * cust.end + (1 - w) * cust.mean)
        shift = cust.shift or 0.0
        trend = (
            "improving"
            if shift > sc.trajectory_threshold
            else "worsening"
            if shift < -sc.trajectory_threshold
            else "flat"
        )
    moments: list[NegativeMoment] = []
    turns = by_party["customer"]
    for idx, t in enumerate(turns):
        prev = turns[idx - 1].score if idx else None
        drop = round(prev - t.score, 4) if prev is not None else None
        low = t.score <= sc.moment_threshold
        fall = drop is not None and drop >= sc.drop_threshold and t.score < 0
        if not (low or fall):
            continue
        later = [u for u in turns[idx + 1 :] if not u.ritual]
        back = bool(later) and later[-1].score > sc.negative_threshold
        moments.append(NegativeMoment(t.seq, t.speaker, t.score, drop, t.words, back))
    recovered = None if not moments else moments[-1].recovered
    return SentimentSummary(
        interaction_id=view.id,
        parties=parties,
        label=label,
        trajectory=trend,
        negative_moments=tuple(moments),
        recovered=recovered,
        turns=tuple(scores),
    )
