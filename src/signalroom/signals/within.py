"""Within a need (docs/signals.md#within-a-need): more of a need's contacts ending negative, coming
back, or being transferred than usual — a need that is not growing but going worse.

On a day, each need's rate among its inbound contacts is compared with its rate over the preceding
``baseline_days``: one-sided Fisher's exact test (the day's 2×2 table against the baseline's, so a
baseline of a few contacts is as uncertain as it is), Bonferroni over the needs × measures tested
that day, and a rise must also be ``min_affected`` contacts and ``min_ratio`` times the smoothed
baseline rate. The measures:

- ``negative_sentiment``: the customer ended the last analysed interaction negative (contacts with
  an analysed interaction);
- ``repeat_rate``: the person's previous inbound contact, any reason, started within ``repeat_days``
  before (contacts with a person) — the "previous contact within the window" of docs/drivers.md,
  known on the day itself, where the outcome metrics' "next contact within 7 days" would look ahead;
- ``transfer_rate``: any interaction of the contact was transferred or escalated (a bot handing
  off is one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from scipy import stats

from signalroom.signals.model import Finding
from signalroom.signals.needs import Needs, SignalsError
from signalroom.store import signal_reads
from signalroom.store.warehouse import Store

MEASURES = signal_reads.MEASURES
_SERIES_DAYS = 14
_EVIDENCE = 5


@dataclass(frozen=True, kw_only=True)
class WithinConfig:
    baseline_days: int = 14
    measures: tuple[str, ...] = field(default=MEASURES)
    alpha: float = 0.01  # family-wise over the needs × measures tested on a day
    min_affected: int = 5
    min_ratio: float = 1.5
    smoothing: float = 0.5  # pseudo-contacts on each side of the baseline rate
    repeat_days: int = 7

    def __post_init__(self) -> None:
        if self.baseline_days < 3:
            raise ValueError(f"the within-need baseline needs at least 3 days, got {self.baseline_days}")
        unknown = [m for m in self.measures if m not in MEASURES]
        if unknown or not self.measures:
            raise ValueError(f"within-need measures must be some of {', '.join(MEASURES)}, got {list(self.measures)}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"within-need alpha must be between 0 and 1, got {self.alpha}")
        if self.min_affected < 1:
            raise ValueError(f"within-need min_affected must be at least 1, got {self.min_affected}")
        if self.min_ratio < 1:
            raise ValueError(f"within-need min_ratio must be at least 1, got {self.min_ratio}")
        if self.smoothing <= 0:
            raise ValueError(f"within-need smoothing must be positive, got {self.smoothing}")
        if self.repeat_days < 1:
            raise ValueError(f"repeat_days must be at least 1, got {self.repeat_days}")


@dataclass(frozen=True)
class RateTest:
    """Tests of one day (arrays over the needs × measures tested)."""

    expected: np.ndarray  # affected contacts the baseline rate predicts
    ratio: np.ndarray
    p_values: np.ndarray
    rising: np.ndarray  # bool


def judge_rates(affected: np.ndarray, eligible: np.ndarray, base_affected: np.ndarray, base_eligible: np.ndarray,
               config: WithinConfig) -> RateTest:  # fmt: skip
    """The day's ``affected`` of ``eligible`` against the baseline's, each position one need and
    measure; the family is every position with an eligible contact that day."""
    k, n = np.asarray(affected, dtype=float), np.asarray(eligible, dtype=float)
    kb, nb = np.asarray(base_affected, dtype=float), np.asarray(base_eligible, dtype=float)
    rate = (kb + config.smoothing) / (nb + 2 * config.smoothing)
    expected = rate * n
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, k / expected, 0.0)
    # One-sided Fisher: P(at least k of the day's n among the k + kb affected of n + nb contacts).
    big = (k >= config.min_affected) & (ratio >= config.min_ratio)
    p = np.ones_like(k)
    if big.any():
        p[big] = stats.hypergeom.sf(k[big] - 1, (n + nb)[big], (k + kb)[big], n[big])
    tested = int((n > 0).sum())
    return RateTest(expected, ratio, p, big & (p < config.alpha / max(1, tested)))


def detect_within(
    store: Store, needs: Needs, *, start: date, end: date, config: WithinConfig | None = None
) -> list[Finding]:
    """Needs whose negative endings, repeats or transfers rose on a day from ``start`` to ``end``,
    each day judged only on the days before it."""
    config = config or WithinConfig()
    if start > end:
        raise SignalsError(f"within-need: start {start} is after end {end}")
    first = start - timedelta(days=config.baseline_days + _SERIES_DAYS)
    n_days = (end - first).days + 1
    cells: list[tuple[str, int]] = []  # (measure, need): the positions of the arrays
    index: dict[tuple[str, int], int] = {}
    rows: list[tuple[int, int, int, int]] = []
    for measure in config.measures:
        for topic, day, n, k in signal_reads.daily_rates(store, measure, first, end, config.repeat_days):
            need = needs.need(topic)
            if need is None:
                continue
            cell = index.setdefault((measure, need), len(cells))
            if cell == len(cells):
                cells.append((measure, need))
            rows.append((cell, (day - first).days, n, k))
    if not cells:
        return []
    eligible = np.zeros((n_days, len(cells)))
    affected = np.zeros((n_days, len(cells)))
    for cell, i, n, k in rows:
        eligible[i, cell] += n
        affected[i, cell] += k
    # Before ``repeat_days`` of history the previous contacts are not known yet, and the repeat rate
    # of those first days is low for want of data: they are neither a baseline nor judged.
    known_from = signal_reads.first_contact_day(store)
    if known_from is not None:
        blind = min(n_days, max(0, (known_from - first).days + config.repeat_days))
        repeats = [c for c, (measure, _) in enumerate(cells) if measure == "repeat_rate"]
        eligible[:blind, repeats] = 0
        affected[:blind, repeats] = 0
    daily = _Daily(first, eligible, affected, config)
    rises: dict[int, list[tuple[int, float]]] = defaultdict(list)  # cell → [(day, p)]
    for i in range((start - first).days, n_days):
        result = daily.judge(i)
        for rising in np.flatnonzero(result.rising):
            rises[int(rising)].append((i, float(result.p_values[rising])))
    out = [_finding(store, needs, cells[c], c, days, daily, end) for c, days in rises.items()]
    return sorted(out, key=lambda f: (f.first_detected, f.p_value))


@dataclass(frozen=True)
class _Daily:
    first: date
    eligible: np.ndarray  # days × cells
    affected: np.ndarray
    config: WithinConfig

    def judge(self, i: int) -> RateTest:
        lo = max(0, i - self.config.baseline_days)
        return judge_rates(self.affected[i], self.eligible[i], self.affected[lo:i].sum(axis=0),
                          self.eligible[lo:i].sum(axis=0), self.config)  # fmt: skip

    def day(self, i: int) -> date:
        return self.first + timedelta(days=i)


def _finding(store: Store, needs: Needs, cell: tuple[str, int], column: int, rises: list[tuple[int, float]],
             daily: _Daily, end: date) -> Finding:  # fmt: skip
    measure, need = cell
    config = daily.config
    day, p = min(rises, key=lambda r: r[1])
    detected = [i for i, _ in rises]
    strongest = daily.judge(day)
    lo = max(0, day - config.baseline_days)
    k, n = int(daily.affected[day, column]), int(daily.eligible[day, column])
    kb, nb = int(daily.affected[lo:day, column].sum()), int(daily.eligible[lo:day, column].sum())
    series = []
    for i in range(max(0, detected[0] - _SERIES_DAYS), (end - daily.first).days + 1):
        known = i >= config.baseline_days
        series.append({
            "day": daily.day(i).isoformat(), "affected": int(daily.affected[i, column]),
            "contacts": int(daily.eligible[i, column]),
            "expected": round(float(daily.judge(i).expected[column]), 2) if known else None,
        })  # fmt: skip
    extra = sum(daily.affected[i, column] - daily.judge(i).expected[column] for i in detected)
    behind = signal_reads.affected_contacts(store, measure, needs.reasons(need), [daily.day(i) for i in detected],
                                            config.repeat_days)  # fmt: skip
    return Finding(
        detector=measure,
        subject=needs.label(need),
        need=need,
        reasons=tuple(needs.reasons(need)),
        first_detected=daily.day(detected[0]),
        last_detected=daily.day(detected[-1]),
        days_detected=len(detected),
        p_value=p,
        measure={
            "day": daily.day(day).isoformat(),
            "affected": k,
            "contacts": n,
            "rate": round(k / n, 4),
            "baseline_affected": kb,
            "baseline_contacts": nb,
            "baseline_rate": round((kb + config.smoothing) / (nb + 2 * config.smoothing), 4),
            "expected": round(float(strongest.expected[column]), 2),
            "ratio": round(float(strongest.ratio[column]), 2),
        },
        series=series,
        evidence=[key for key, d, _ in behind if d == daily.day(day)][:_EVIDENCE],
        customers=len({person for _, _, person in behind if person is not None}),
        support=len(behind),
        extra_repeat_contacts=round(float(extra), 1) if measure == "repeat_rate" else 0.0,
    )
