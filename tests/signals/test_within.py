"""Within a need: negative endings, repeats and transfers against the need's own baseline rate, as
a pure test and day by day on contacts written into a real store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from signalroom.signals.needs import Needs
from signalroom.signals.within import WithinConfig, detect_within, judge_rates
from signalroom.store import Store

START = date(2026, 3, 2)  # a Monday
NEEDS = Needs(of_reason={1: 1, 2: 1, 3: 3}, members={1: [1, 2], 3: [3]}, labels={1: "app login", 3: "billing"})


def write_contacts(store: Store, records: list[dict[str, Any]]) -> None:
    rows = [{"contact_source": "t", "episode_id": 0, "channel": "chat", "interactions": 1, "inbound": True,
             "self_service_only": False, **r} for r in records]  # fmt: skip
    store.connection.register("new_rows", pa.Table.from_pylist(rows))
    store.connection.execute("INSERT INTO contacts BY NAME SELECT * FROM new_rows")
    store.connection.unregister("new_rows")


def month(negative_from: int | None = None, repeat_from: int | None = None, days: int = 30,
          need1_weekday: int = 30) -> list[dict[str, Any]]:  # fmt: skip
    """Weekdays ``need1_weekday`` contacts of need 1 (reasons 1 and 2) and 20 of need 3, weekends a
    third; one in five ends negative, is transferred, and is a repeat (its person came 3 days
    before) — from ``negative_from`` / ``repeat_from`` three in five of need 1's do."""
    out: list[dict[str, Any]] = []
    for i in range(days):
        day = START + timedelta(days=i)
        at = datetime.combine(day, time(11), tzinfo=UTC)
        weekend = day.weekday() >= 5
        for need, n in ((1, need1_weekday), (3, 20)):
            for j in range(n // 3 if weekend else n):
                negative = j % 5 == 0 or (need == 1 and negative_from is not None and i >= negative_from and j % 5 < 3)
                repeat = j % 5 == 1 or (need == 1 and repeat_from is not None and i >= repeat_from and j % 5 < 3)
                # Nobody's history is known before the data starts: the first days have no repeats.
                previous = at - timedelta(days=3) if repeat and i >= 3 else None
                out.append({"contact_id": f"{need}-{i}-{j}", "person_id": 100000 * need + 1000 * i + j,
                            "topic_id": (1, 2)[j % 2] if need == 1 else 3, "started_at": at, "local_date": day,
                            "ended_negative": negative, "transferred": j % 5 == 2, "escalated": False,
                            "previous_contact_at": previous})  # fmt: skip
    return out


def test_the_rate_test_is_one_sided_and_needs_enough_contacts() -> None:
    config = WithinConfig()
    # Three needs × measures: 18 of 30 against 20% (rising), 2 of 30 (falling), 4 of 4 (too few).
    result = judge_rates(np.array([18, 2, 4]), np.array([30, 30, 4]), np.array([60, 60, 30]),
                         np.array([300, 300, 100]), config)  # fmt: skip
    assert result.rising.tolist() == [True, False, False]
    assert result.expected[0] == pytest.approx(30 * 60.5 / 301)
    assert result.p_values[1] == 1.0  # a fall is never tested
    assert WithinConfig(min_affected=4).min_affected == 4
    assert judge_rates(np.array([4]), np.array([4]), np.array([20]), np.array([100]),
                       WithinConfig(min_affected=4)).rising.tolist() == [True]  # fmt: skip


def test_a_need_ending_negative_more_is_detected_on_its_day(store: Store) -> None:
    write_contacts(store, month(negative_from=17))
    found = detect_within(store, NEEDS, start=START + timedelta(days=5), end=START + timedelta(days=29))
    assert [(f.detector, f.need) for f in found] == [("negative_sentiment", 1)]
    f = found[0]
    assert f.first_detected == START + timedelta(days=17)  # a Thursday
    assert f.subject == "app login" and f.reasons == (1, 2)
    assert f.measure["affected"] == 18 and f.measure["contacts"] == 30 and f.measure["ratio"] > 2.5
    assert f.support >= 18 * f.days_detected - 12 and f.customers == f.support  # weekend days have a third
    assert len(f.evidence) == 5 and f.extra_repeat_contacts == 0.0
    assert f.series[0]["day"] == (START + timedelta(days=3)).isoformat()  # two weeks before the first detection
    day17 = next(s for s in f.series if s["day"] == f.first_detected.isoformat())
    assert day17["expected"] == pytest.approx(30 * 0.2, abs=0.5)


def test_rising_repeats_count_the_extra_repeat_contacts(store: Store) -> None:
    write_contacts(store, month(repeat_from=20))
    found = detect_within(store, NEEDS, start=START + timedelta(days=10), end=START + timedelta(days=29))
    # Day 20 is a Sunday (10 contacts): six repeats of ten is not enough evidence; the Monday is.
    assert [(f.detector, f.need, f.first_detected) for f in found] == [("repeat_rate", 1, START + timedelta(days=21))]
    f = found[0]
    monday = next(s for s in f.series if s["day"] == f.first_detected.isoformat())
    assert (monday["affected"], monday["contacts"]) == (18, 30)
    assert f.extra_repeat_contacts >= 18 - monday["expected"] and f.extra_contacts == 0.0


def test_a_flat_month_with_a_strong_week_and_a_cold_start_raises_nothing(store: Store) -> None:
    write_contacts(store, month())
    assert detect_within(store, NEEDS, start=START + timedelta(days=1), end=START + timedelta(days=29)) == []


def test_a_small_need_needs_enough_affected_contacts(store: Store) -> None:
    # Fifteen contacts a weekday: nine end negative where three did.
    write_contacts(store, month(negative_from=17, need1_weekday=15))
    window = (START + timedelta(days=5), START + timedelta(days=29))
    assert {f.need for f in detect_within(store, NEEDS, start=window[0], end=window[1])} == {1}
    assert detect_within(store, NEEDS, start=window[0], end=window[1], config=WithinConfig(min_affected=10)) == []


def test_only_the_measures_asked_for(store: Store) -> None:
    write_contacts(store, month(negative_from=17))
    window = (START + timedelta(days=5), START + timedelta(days=29))
    assert (
        detect_within(store, NEEDS, start=window[0], end=window[1], config=WithinConfig(measures=("repeat_rate",)))
        == []
    )
    with pytest.raises(ValueError, match="after end"):
        detect_within(store, NEEDS, start=window[1], end=window[0])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"baseline_days": 1}, "at least 3 days"),
        ({"measures": ("sentiment",)}, "measures must be some of"),
        ({"measures": ()}, "measures must be some of"),
        ({"alpha": 1}, "alpha must be between 0 and 1"),
        ({"min_affected": 0}, "min_affected must be at least 1"),
        ({"min_ratio": 0.9}, "min_ratio must be at least 1"),
        ({"smoothing": -1}, "smoothing must be positive"),
        ({"repeat_days": 0}, "repeat_days must be at least 1"),
    ],
)
def test_bad_config_is_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WithinConfig(**values)
