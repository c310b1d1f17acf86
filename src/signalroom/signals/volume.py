"""Reasons rising in volume (docs/signals.md#rising-reasons): on a day, a reason's contacts against
what its usual share of that day's contacts predicts.

The baseline is the reason's share of all contacts over the preceding ``baseline_days`` (default
14), smoothed; the expected count on the day is that share times the day's total. Scaling by the
day's own total is what makes the baseline know the day of the week (and holidays, and outages of
everything): a Monday peak or a quiet Sunday moves every reason alike and raises no signal, a
reason growing its share does. The test is one-sided binomial — P(X ≥ observed) for the day's total
at the baseline share — with Bonferroni over the reasons tested that day, plus a minimum count and
ratio so a significant but trivial rise is not an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from scipy import stats

Counts = Mapping[tuple[int, date], int]  # (reason, local date) → contacts


@dataclass(frozen=True, kw_only=True)
class VolumeConfig:
    baseline_days: int = 14
    alpha: float = 0.01  # family-wise over the reasons tested on a day
    min_count: int = 8
    min_ratio: float = 1.8
    smoothing: float = 0.5  # pseudo-contacts added to a reason's baseline count

    def __post_init__(self) -> None:
        if self.baseline_days < 3:
            raise ValueError(f"the baseline needs at least 3 days, got {self.baseline_days}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")


@dataclass(frozen=True)
class Rise:
    reason: int
    day: date
    observed: int
    expected: float
    ratio: float
    baseline_share: float
    share: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


def rising(counts: Counts, totals: Mapping[date, int], day: date, config: VolumeConfig | None = None) -> list[Rise]:
    """The reasons rising on ``day``, with only the days before it as their baseline."""
    config = config or VolumeConfig()
    window = [day - timedelta(days=i) for i in range(1, config.baseline_days + 1)]
    base_total = sum(totals.get(d, 0) for d in window)
    today = totals.get(day, 0)
    if base_total == 0 or today == 0:
        return []
    reasons = {r for r, _ in counts}
    found = []
    for reason in sorted(reasons):
        observed = counts.get((reason, day), 0)
        if observed < config.min_count:
            continue
        base = sum(counts.get((reason, d), 0) for d in window)
        share = (base + config.smoothing) / (base_total + config.smoothing * 2)
        expected = share * today
        ratio = observed / expected
        if ratio < config.min_ratio:
            continue
        p = float(stats.binom.sf(observed - 1, today, share))
        if p < config.alpha / max(1, len(reasons)):
            found.append(Rise(reason, day, observed, round(expected, 2), round(ratio, 2), round(share, 5),
                              round(observed / today, 5), p))  # fmt: skip
    return sorted(found, key=lambda r: r.p_value)


@dataclass(frozen=True)
class Detection:
    reason: int
    rises: tuple[Rise, ...]  # every day it was detected, in order

    @property
    def first_detected(self) -> date:
        return self.rises[0].day

    @property
    def days_detected(self) -> int:
        return len(self.rises)

    @property
    def strongest(self) -> Rise:
        return min(self.rises, key=lambda r: r.p_value)

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "first_detected": self.first_detected.isoformat(),
                "days_detected": self.days_detected, "strongest": self.strongest.to_dict()}  # fmt: skip


def backtest(counts: Counts, totals: Mapping[date, int], start: date, end: date,
             config: VolumeConfig | None = None) -> list[Detection]:  # fmt: skip
    """Replay the days from ``start`` to ``end``: each day sees only the days before it. Every
    reason detected, with the first day it was and the day it rose most."""
    config = config or VolumeConfig()
    seen: dict[int, list[Rise]] = {}
    day = start
    while day <= end:
        for rise in rising(counts, totals, day, config):
            seen.setdefault(rise.reason, []).append(rise)
        day += timedelta(days=1)
    return sorted(
        (Detection(r, tuple(rises)) for r, rises in seen.items()),
        key=lambda d: (d.first_detected, d.reason),
    )
