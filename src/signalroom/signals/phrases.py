"""Rising phrases (docs/signals.md#rising-phrases): word sequences newly frequent in what customers
say — a product name, "since the update" — before anyone has named the problem.

A phrase is a 2–4 word n-gram of the customers' redacted turns, counted per day as the number of
inbound contacts whose customer said it (document frequency: a customer repeating it counts once).
Each day is judged on the preceding ``baseline_days``: the phrase's baseline share of contacts,
smoothed so a phrase never said before is testable, times the day's contacts is what is expected;
the test is one-sided binomial at ``alpha`` Bonferroni-corrected over every phrase said that day,
and a rise must also be ``min_contacts`` contacts and ``min_ratio`` times the expected count.
Sub-phrases and overlapping pieces of one longer phrase said by nearly the same contacts are folded
into one finding named by its longest piece.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy import sparse, stats
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs, SignalsError
from signalroom.store import signal_reads
from signalroom.store.warehouse import Store

# A word keeps its inner apostrophes and dots ("can't", "7.4.0"); a redaction mark ("[NAME]") is a
# token of its own, so that no phrase is made across it or of it.
TOKEN_PATTERN = r"(?u)\[\w+\]|\w+(?:['’.]\w+)*"
# Phrases do not run across turns, sentences or clauses.
_BOUNDARY = re.compile(r"\n|[.!?;:,]+(?:\s|$)|\s[-–—]+\s")
_SERIES_DAYS = 14  # of the series before the first detection
_EVIDENCE = 5
_NUMBER = re.compile(r"[\d.,'’]+")
# The left halves of contractions the stop-word list lacks ("don't" is "don" + "t").
_CONTRACTED = frozenset({"m", "s", "t", "ll", "re", "ve", "d", "don", "won", "isn", "aren", "doesn", "didn",
                         "wasn", "weren", "couldn", "wouldn", "shouldn", "haven", "hasn", "hadn", "ain"})  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class PhraseConfig:
    baseline_days: int = 14
    min_words: int = 2
    max_words: int = 4
    alpha: float = 0.01  # family-wise over the phrases said on a day
    min_contacts: int = 5
    min_ratio: float = 3.0
    smoothing: float = 0.5  # pseudo-contacts added to a phrase's baseline count
    need_smoothing: float = 10.0  # pseudo-contacts of its overall share in a phrase's share of a need
    fold_similarity: float = 0.8  # share of a piece's contacts saying the other piece too, to fold them
    need_share: float = 0.5  # a phrase is about a need when this share of its contacts are

    def __post_init__(self) -> None:
        if self.baseline_days < 3:
            raise ValueError(f"the phrase baseline needs at least 3 days, got {self.baseline_days}")
        if not 1 <= self.min_words <= self.max_words:
            raise ValueError(f"phrase words must be 1 ≤ min_words ≤ max_words, got {self.min_words}–{self.max_words}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"phrase alpha must be between 0 and 1, got {self.alpha}")
        if self.min_contacts < 1:
            raise ValueError(f"phrase min_contacts must be at least 1, got {self.min_contacts}")
        if self.min_ratio < 1:
            raise ValueError(f"phrase min_ratio must be at least 1, got {self.min_ratio}")
        if self.smoothing <= 0:
            raise ValueError(f"phrase smoothing must be positive (a new phrase needs a baseline), got {self.smoothing}")
        if self.need_smoothing <= 0:
            raise ValueError(f"phrase need_smoothing must be positive, got {self.need_smoothing}")
        for name in ("fold_similarity", "need_share"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"phrase {name} must be in (0, 1], got {getattr(self, name)}")


def analyzer(config: PhraseConfig) -> Callable[[str], list[str]]:
    """The n-grams of a text, lower-cased, none across a boundary; every n-gram, telling or not."""
    words = CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(config.min_words, config.max_words))
    grams = words.build_analyzer()
    return lambda text: [g for part in _BOUNDARY.split(text) for g in grams(part)]


def telling(phrase: str) -> bool:
    """Not only stop words, not only numbers, and no redaction mark."""
    tokens = phrase.split(" ")
    if any(t.startswith("[") for t in tokens):
        return False
    if all(_NUMBER.fullmatch(t) for t in tokens):
        return False
    return not all(_stop(t) for t in tokens)


def _stop(token: str) -> bool:
    parts = re.split(r"['’]", token)
    return token in ENGLISH_STOP_WORDS or all(p in ENGLISH_STOP_WORDS or p in _CONTRACTED for p in parts)


def expected_counts(day: np.ndarray, base: np.ndarray, base_totals: np.ndarray, config: PhraseConfig) -> np.ndarray:
    """Each phrase's expected contacts on a day, need by need: its baseline share among each need's
    contacts times the need's contacts that day (``day``: contacts per need; ``base``: needs ×
    phrases, the baseline's contacts saying it; ``base_totals``: the baseline's contacts per need).
    A phrase that rises only because its need does is expected — that is a rising need — and one
    new in its need is not. A need's share is shrunk towards the phrase's share over every need (by
    ``need_smoothing`` pseudo-contacts), which is itself smoothed so a phrase never said before has
    a small share rather than none."""
    base = np.asarray(base, dtype=float)
    base_totals = np.asarray(base_totals, dtype=float)
    overall = (base.sum(axis=0) + config.smoothing) / (base_totals.sum() + 2 * config.smoothing)
    share = (base + config.need_smoothing * overall) / (base_totals[:, None] + config.need_smoothing)
    expected: np.ndarray = np.asarray(day, dtype=float) @ share
    return expected


@dataclass(frozen=True)
class DayTest:
    """Every phrase's test on one day (arrays over the phrases)."""

    p_values: np.ndarray
    rising: np.ndarray  # bool: significant after correction, and large enough


def judge_phrases(observed: np.ndarray, expected: np.ndarray, total: int, tested: int, config: PhraseConfig) -> DayTest:
    """One-sided binomial of the contacts saying each phrase (``observed`` of the day's ``total``)
    at the expected share, Bonferroni over the ``tested`` phrases said that day. A sum of binomials
    with different shares (the needs) varies less than one binomial at their mean share, so this
    errs on the side of fewer alerts."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    p = np.ones_like(observed)
    big = (observed >= config.min_contacts) & (observed >= config.min_ratio * expected)
    if total > 0 and big.any():
        p[big] = stats.binom.sf(observed[big] - 1, total, np.minimum(1.0, expected[big] / total))
    return DayTest(p, big & (p < config.alpha / max(1, tested)))


def fold(
    phrases: Sequence[str], contacts: Sequence[frozenset[int]], p_values: Sequence[float], similarity: float
) -> list[list[int]]:
    """Groups (indices) of phrases that are pieces of one longer phrase — one inside the other, or
    the end of one the start of the other — where nearly all the contacts of the smaller piece
    (``similarity``) say the other too. Each group's first index names it: its strongest piece,
    among equally strong ones the one not starting or ending with a stop word, then the longest."""
    parent = list(range(len(phrases)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tokens = [p.split(" ") for p in phrases]
    for i in range(len(phrases)):
        for j in range(i + 1, len(phrases)):
            if _linked(tokens[i], tokens[j]) and _overlap(contacts[i], contacts[j]) >= similarity:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(phrases)):
        groups.setdefault(root(i), []).append(i)

    def telling_name(i: int) -> tuple[float, int, int, str]:
        edges = int(not _stop(tokens[i][0])) + int(not _stop(tokens[i][-1]))
        return (-p_values[i], edges, len(tokens[i]), phrases[i])

    out = []
    for members in groups.values():
        name = max(members, key=telling_name)
        out.append([name, *sorted(i for i in members if i != name)])
    return sorted(out)


def _linked(a: list[str], b: list[str]) -> bool:
    short, long = sorted((a, b), key=len)
    n = len(short)
    if any(long[k : k + n] == short for k in range(len(long) - n + 1)):
        return True
    return any(a[-k:] == b[:k] or b[-k:] == a[:k] for k in range(1, n))


def _overlap(a: frozenset[int], b: frozenset[int]) -> float:
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


@dataclass(frozen=True)
class _Daily:
    """Contacts saying each candidate phrase per day and need over the days read."""

    first: date
    df: np.ndarray  # days × needs × phrases
    totals: np.ndarray  # days × needs: contacts with customer text
    config: PhraseConfig

    def expected(self, i: int) -> np.ndarray:
        lo = max(0, i - self.config.baseline_days)
        return expected_counts(self.totals[i], self.df[lo:i].sum(axis=0), self.totals[lo:i].sum(axis=0), self.config)

    def day(self, i: int) -> date:
        return self.first + timedelta(days=i)


def detect_phrases(
    store: Store, needs: Needs, *, start: date, end: date, config: PhraseConfig | None = None
) -> list[Finding]:
    """Phrases rising on a day from ``start`` to ``end``, each day judged only on the days before it."""
    config = config or PhraseConfig()
    if start > end:
        raise SignalsError(f"phrases: start {start} is after end {end}")
    # The baseline of the first day judged, and the series' two weeks before the first detection.
    first = start - timedelta(days=config.baseline_days + _SERIES_DAYS)
    contacts = signal_reads.customer_texts(store, first, end)
    day_of = np.array([(c.day - first).days for c in contacts], dtype=int)
    offset = (start - first).days
    judged = day_of >= offset
    if not judged.any():
        return []
    vectorizer = CountVectorizer(analyzer=analyzer(config), binary=True)
    vectorizer.fit(c.text for c, j in zip(contacts, judged, strict=True) if j)
    vocabulary = vectorizer.get_feature_names_out()
    keep = np.flatnonzero([telling(p) for p in vocabulary])
    matrix = sparse.csc_matrix(vectorizer.transform(c.text for c in contacts))[:, keep]
    vocabulary = vocabulary[keep]
    n_days = (end - first).days + 1
    per_day = sparse.csr_matrix(
        (np.ones(len(contacts)), (day_of, np.arange(len(contacts)))), shape=(n_days, len(contacts))
    )
    df_all = sparse.csr_matrix(per_day @ matrix)
    said = np.diff(df_all.indptr)  # phrases said on each day: each day's family of tests
    # Only a phrase said by enough contacts on a judged day can rise; the others still count in the family.
    peak = np.asarray(df_all[offset:].max(axis=0).todense()).ravel()
    candidates = np.flatnonzero(peak >= config.min_contacts)
    of_need = [needs.need(c.topic) for c in contacts]
    strata = {n: k for k, n in enumerate(sorted(set(of_need), key=lambda n: (n is None, n or 0)))}
    stratum = np.array([strata[n] for n in of_need], dtype=int)
    rows = day_of * len(strata) + stratum
    per_cell = sparse.csr_matrix((np.ones(len(contacts)), (rows, np.arange(len(contacts)))),
                                 shape=(n_days * len(strata), len(contacts)))  # fmt: skip
    df = np.asarray((per_cell @ matrix[:, candidates]).todense()).reshape(n_days, len(strata), len(candidates))
    totals = np.bincount(rows, minlength=n_days * len(strata)).reshape(n_days, len(strata))
    daily = _Daily(first, df, totals, config)
    rises: dict[int, list[tuple[int, float, float]]] = {}  # candidate → [(day, p, expected)]
    for i in range(offset, n_days):
        if totals[i].sum() == 0 or totals[max(0, i - config.baseline_days) : i].sum() == 0:
            continue
        expected = daily.expected(i)
        result = judge_phrases(df[i].sum(axis=0), expected, int(totals[i].sum()), int(said[i]), config)
        for k in np.flatnonzero(result.rising):
            rises.setdefault(int(k), []).append((i, float(result.p_values[k]), float(expected[k])))
    found = sorted(rises)
    columns = sparse.csc_matrix(matrix[:, candidates[found]])
    saying = [columns.indices[columns.indptr[k] : columns.indptr[k + 1]] for k in range(len(found))]
    phrases = [str(vocabulary[candidates[c]]) for c in found]
    groups = fold(
        phrases,
        [frozenset(int(r) for r in rows_ if judged[r]) for rows_ in saying],
        [min(p for _, p, _ in rises[c]) for c in found],
        config.fold_similarity,
    )
    out = []
    for group in groups:
        name = found[group[0]]
        detected = sorted({i for g in group for i, _, _ in rises[found[g]]})
        support = sorted({int(r) for g in group for r in saying[g] if day_of[r] in detected})
        out.append(_finding(
            phrases[group[0]], name, rises[name], detected, support, [int(r) for r in saying[group[0]]],
            [phrases[g] for g in group[1:]], contacts, daily, end, needs, config,
        ))  # fmt: skip
    return sorted(out, key=lambda f: (f.first_detected, f.p_value))


def _finding(
    phrase: str,
    column: int,
    own: list[tuple[int, float, float]],
    detected: list[int],
    support: list[int],
    saying: list[int],
    folded: list[str],
    contacts: list[signal_reads.ContactText],
    daily: _Daily,
    end: date,
    needs: Needs,
    config: PhraseConfig,
) -> Finding:
    day, p, expected = min(own, key=lambda r: r[1])
    observed = int(daily.df[day, :, column].sum())
    total = int(daily.totals[day].sum())
    series = []
    for i in range(max(0, detected[0] - _SERIES_DAYS), (end - daily.first).days + 1):
        known = i >= config.baseline_days and daily.totals[i - config.baseline_days : i].sum() > 0
        series.append({
            "day": daily.day(i).isoformat(), "contacts": int(daily.df[i, :, column].sum()),
            "all": int(daily.totals[i].sum()),
            "expected": round(float(daily.expected(i)[column]), 2) if known else None,
        })  # fmt: skip
    strongest_day = daily.day(day)
    behind = [contacts[r] for r in support]
    tally = Counter(needs.need(c.topic) for c in behind)
    need, count = tally.most_common(1)[0] if tally else (None, 0)
    if need is None or count < config.need_share * len(behind):
        need = None
    lo = max(0, day - config.baseline_days)
    return Finding(
        detector="phrase",
        subject=phrase,
        phrase=phrase,
        need=need,
        reasons=tuple(needs.reasons(need)) if need is not None else (),
        first_detected=daily.day(detected[0]),
        last_detected=daily.day(detected[-1]),
        days_detected=len(detected),
        p_value=p,
        measure={
            "day": strongest_day.isoformat(),
            "contacts": observed,
            "all": total,
            "expected": round(expected, 2),
            "ratio": round(observed / expected, 2),
            "share": round(observed / total, 5),
            "baseline_contacts": int(daily.df[lo:day, :, column].sum()),
            "baseline_all": int(daily.totals[lo:day].sum()),
            "folded": folded,
        },
        series=series,
        evidence=[contacts[r].key for r in saying if contacts[r].day == strongest_day][:_EVIDENCE],
        customers=len({c.person for c in behind if c.person is not None}),
        support=len(behind),
        extra_contacts=round(sum(int(daily.df[i, :, column].sum()) - e for i, _, e in own), 1),
    )
