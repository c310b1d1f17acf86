"""Rising reasons: the share-of-the-day baseline, the one-sided test, and the day-by-day backtest,
on series made by hand."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from signalroom.signals.volume import VolumeConfig, backtest, rising

START = date(2026, 3, 2)  # a Monday


def _month(
    rise_from: int | None = None, factor: float = 3.0, days: int = 30
) -> tuple[Counter[tuple[int, date]], Counter[date]]:
    """Three reasons over ``days`` days at fixed shares (50%, 30%, 20%) of a total that is half on
    weekends; from ``rise_from`` reason 3 gets ``factor`` times its usual contacts."""
    counts: Counter[tuple[int, date]] = Counter()
    totals: Counter[date] = Counter()
    for i in range(days):
        day = START + timedelta(days=i)
        total = 100 if day.weekday() < 5 else 50
        for reason, share in ((1, 0.5), (2, 0.3), (3, 0.2)):
            n = round(total * share)
            if rise_from is not None and reason == 3 and i >= rise_from:
                n = round(n * factor)
            counts[(reason, day)] = n
            totals[day] += n
    return counts, totals


def test_a_quiet_weekend_or_a_busy_monday_raises_nothing() -> None:
    counts, totals = _month()
    assert backtest(counts, totals, START + timedelta(days=3), START + timedelta(days=29)) == []


def test_a_reason_growing_its_share_is_detected_on_its_first_day() -> None:
    counts, totals = _month(rise_from=18)
    found = backtest(counts, totals, START + timedelta(days=3), START + timedelta(days=29))
    assert [d.reason for d in found] == [3]
    first = found[0]
    assert first.first_detected == START + timedelta(days=18)
    rise = first.strongest
    # Day 18 is a Friday (100 contacts): reason 3 had 20 × 3 = 60 of 140, its baseline share 0.2.
    day18 = rising(counts, totals, START + timedelta(days=18))[0]
    assert (day18.observed, day18.expected) == (60, pytest.approx(0.2 * 140, rel=0.01))
    assert rise.ratio >= day18.ratio >= 1.8


def test_each_day_is_judged_only_on_the_days_before_it() -> None:
    counts, totals = _month(rise_from=18, days=50)
    assert rising(counts, totals, START + timedelta(days=17)) == []
    assert rising(counts, totals, START + timedelta(days=18)) != []
    # Two weeks into the rise the baseline has caught up: the new level is the usual one.
    assert totals[START + timedelta(days=33)] > 0
    assert rising(counts, totals, START + timedelta(days=33)) == []


def test_small_or_trivial_rises_are_not_alerts() -> None:
    counts, totals = _month(rise_from=18, factor=1.3)
    assert backtest(counts, totals, START + timedelta(days=3), START + timedelta(days=29)) == []
    with pytest.raises(ValueError, match="at least 3 days"):
        VolumeConfig(baseline_days=2)
