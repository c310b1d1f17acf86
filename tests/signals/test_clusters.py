"""Newly forming clusters, on synthetic contacts written into a real warehouse: embeddings around
reason centroids, a weekday/weekend volume swing, and phenomena planted from a given day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import orjson
import pyarrow as pa
import pytest

from signalroom.pipeline.reasons.topics import encode_array
from signalroom.signals.clusters import ClusterConfig, ClusterConfigError, detect_new_clusters
from signalroom.signals.needs import Needs, SignalsError
from signalroom.store import Store

START = date(2026, 3, 2)  # a Monday
DIM = 32
REASONS = (1, 2, 3, 4)
WORDS = {1: "card declined abroad", 2: "mobile app login", 3: "bill higher than usual", 4: "change my address"}
# Reasons 1 and 2 are one need (named by 1); 3 and 4 are needs of their own.
NEEDS = Needs({1: 1, 2: 1, 3: 3, 4: 4}, {1: [1, 2], 3: [3], 4: [4]}, {1: "cards and app", 3: "bills", 4: "address"})


@dataclass
class Planted:
    """Contacts to add from ``day`` (index from START) on: ``per_day`` a day, around ``direction``
    (a reason's centroid, or a new one), assigned to ``reasons`` in turn, saying ``text``."""

    day: int
    per_day: int
    direction: int | None  # a reason whose centroid they sit around; None: a new direction
    reasons: tuple[int, ...]
    text: str
    spread: float = 0.5
    days: int = 99
    same_person: bool = False


@dataclass
class Month:
    days: int = 30
    planted: list[Planted] = field(default_factory=list)
    seed: int = 3


def _unit(v: np.ndarray) -> np.ndarray:
    out: np.ndarray = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return out


def build(store: Store, month: Month) -> None:
    """Four reasons at fixed shares of a volume that drops to a third at weekends, plus the planted."""
    rng = np.random.default_rng(month.seed)
    centroids = {r: _unit(rng.normal(size=DIM)) for r in REASONS}
    new_direction = _unit(rng.normal(size=DIM))
    rows: list[tuple[str, int, int, int, np.ndarray, str]] = []  # id, day, person, reason, vector, text

    def add(day: int, reason: int, centre: np.ndarray, spread: float, text: str, person: int | None = None) -> None:
        vector = _unit(centre + rng.normal(size=DIM) * spread / np.sqrt(DIM))
        rows.append((f"c{len(rows):05d}", day, len(rows) if person is None else person, reason, vector, text))

    for day in range(month.days):
        total = 90 if (START + timedelta(days=day)).weekday() < 5 else 30
        for reason, share in zip(REASONS, (0.4, 0.3, 0.2, 0.1), strict=True):
            for _ in range(round(total * share)):
                add(day, reason, centroids[reason], 0.8, f"I need help with {WORDS[reason]}")
        for p in month.planted:
            if p.day <= day < p.day + p.days:
                centre = new_direction if p.direction is None else centroids[p.direction]
                for i in range(p.per_day):
                    add(day, p.reasons[i % len(p.reasons)], centre, p.spread, p.text, 99_999 if p.same_person else None)
    con = store.connection
    state = {"topics": [{"id": r, "name": WORDS[r], "centroid": encode_array(c)} for r, c in centroids.items()]}
    con.execute("INSERT INTO reason_models VALUES (1, now(), 'quality', '{}', ?, ?)", [orjson.dumps(state).decode(), 1])
    ids, days, persons, reasons, vectors, texts = zip(*rows, strict=True)
    rows_table = pa.table({
        "id": list(ids),
        "local_date": [START + timedelta(days=d) for d in days],
        "person": list(persons),
        "reason": list(reasons),
        "vector": pa.array([v.tolist() for v in vectors], type=pa.list_(pa.float32())),
        "text": list(texts),
    })  # fmt: skip
    con.register("planted_rows", rows_table)
    con.execute(
        "INSERT INTO contacts (contact_source, contact_id, person_id, topic_id, episode_id, started_at, local_date, "
        "channel, interactions, inbound, self_service_only) SELECT 'demo', id, person, reason, 1, "
        "CAST(local_date AS TIMESTAMP) + INTERVAL 9 HOUR, local_date, 'chat', 1, true, false FROM planted_rows"
    )
    con.execute("INSERT INTO interaction_analysis SELECT 'demo', id, 'h', 'p', 1, now(), text, [] FROM planted_rows")
    con.execute("INSERT INTO interaction_embeddings SELECT 'demo', id, 'quality', vector, 1 FROM planted_rows")
    con.execute(
        "INSERT INTO interaction_reasons SELECT 'demo', id, 1, 'discovered', reason, NULL, 0.9, false, 1 "
        "FROM planted_rows"
    )
    con.unregister("planted_rows")


def detect(store: Store, first: int = 17, last: int = 29, **config: object) -> list:  # type: ignore[type-arg]
    return detect_new_clusters(
        store,
        NEEDS,
        start=START + timedelta(days=first),
        end=START + timedelta(days=last),
        config=ClusterConfig(**config),  # type: ignore[arg-type]
    )


UPDATE = "since the update version 7.4.0 the app crashes"


def test_a_new_tight_cluster_is_detected_on_its_first_day(store: Store) -> None:
    build(store, Month(planted=[Planted(day=20, per_day=20, direction=None, reasons=REASONS, text=UPDATE)]))
    found = detect(store)
    assert len(found) == 1
    cluster = found[0]
    assert cluster.detector == "new_cluster"
    assert cluster.first_detected == START + timedelta(days=20)
    assert cluster.last_detected >= cluster.first_detected
    # Scattered over every need: no need holds it, the reasons do not explain it.
    assert cluster.need is None
    assert cluster.measure["explained"] is False and cluster.measure["explained_by_need"] is None
    assert cluster.measure["top_need_share"] < 0.6
    assert "update" in cluster.subject or "7.4" in cluster.subject or "crashes" in cluster.subject
    assert cluster.support >= 8 and cluster.customers == cluster.support
    assert cluster.extra_contacts > 8
    assert len(cluster.evidence) == 5 and all(e.startswith("demo/c") for e in cluster.evidence)
    series = {s["day"]: s for s in cluster.series}
    onset = (START + timedelta(days=20)).isoformat()
    before = (START + timedelta(days=19)).isoformat()
    assert series[onset]["contacts"] >= 8 > series[before]["contacts"]
    assert series[onset]["expected"] < 2
    assert cluster.p_value < 1e-6


def test_each_day_sees_only_the_contacts_up_to_it(store: Store) -> None:
    build(store, Month(planted=[Planted(day=20, per_day=20, direction=None, reasons=REASONS, text=UPDATE)]))
    assert detect(store, 17, 19) == []
    assert [f.first_detected for f in detect(store, 20, 20)] == [START + timedelta(days=20)]


def test_a_steady_mixture_with_weekend_swings_raises_nothing(store: Store) -> None:
    build(store, Month())
    assert detect(store, 3, 29) == []


def test_more_of_an_existing_reason_is_marked_explained(store: Store) -> None:
    # Reason 4 (9 a weekday) gets 60 more a day, saying and sitting where its contacts always do.
    more = Planted(day=20, per_day=60, direction=4, reasons=(4,), text=f"I need help with {WORDS[4]}", spread=0.8)
    build(store, Month(planted=[more]))
    found = detect(store)
    assert found, "a sharp rise of one reason crowds its region of the space"
    cluster = found[0]
    assert cluster.need == 4
    assert cluster.measure["explained"] is True and cluster.measure["explained_by_need"] == 4
    assert cluster.measure["within_need"]["new"] is False
    assert cluster.measure["fit_gap"] > -0.05


def test_a_new_thing_hiding_inside_one_need_is_not_explained(store: Store) -> None:
    hidden = Planted(day=20, per_day=20, direction=None, reasons=(2,), text=UPDATE)
    build(store, Month(planted=[hidden]))
    cluster = detect(store)[0]
    assert cluster.first_detected == START + timedelta(days=20)
    assert cluster.need == 1  # all its members were given reason 2, of need 1 …
    assert cluster.measure["top_need_share"] == 1.0
    # … but they sit far from reason 2's centroid, and nothing like them was in the need before.
    assert cluster.measure["fit_gap"] < -0.05
    assert cluster.measure["within_need"]["new"] is True
    assert cluster.measure["explained"] is False


def test_a_cluster_smaller_than_min_size_is_not_reported(store: Store) -> None:
    # 4 a day for 3 days: at most 12 in one recent window.
    small = Planted(day=20, per_day=4, direction=None, reasons=REASONS, text=UPDATE, spread=0.3, days=3)
    build(store, Month(planted=[small]))
    found = detect(store, 18, 24, neighbours=10, min_size=8)
    assert len(found) == 1 and 8 <= found[0].support <= 12
    assert detect(store, 18, 24, neighbours=10, min_size=13) == []


def test_one_customer_repeating_themself_is_not_a_crowd(store: Store) -> None:
    build(store, Month(planted=[Planted(day=20, per_day=6, direction=None, reasons=REASONS, text=UPDATE,
                                        same_person=True)]))  # fmt: skip
    assert detect(store) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("recent_days", 0, "recent_days must be at least 1"),
        ("baseline_days", 2, "baseline_days must be at least 3"),
        ("radius", 1.2, "radius is a cosine similarity"),
        ("neighbours", 2, "neighbours must be at least 3"),
        ("min_ratio", 0.5, "min_ratio must be at least 1"),
        ("alpha", 0, "alpha must be between 0 and 1"),
        ("min_size", 1, "min_size must be at least 2"),
        ("need_share", 0.3, "need_share must be between 0.5 and 1"),
        ("fit_tolerance", -0.1, "fit_tolerance must not be negative"),
    ],
)
def test_bad_config_is_rejected_naming_the_setting(field: str, value: float, message: str) -> None:
    with pytest.raises(ClusterConfigError, match=message):
        ClusterConfig(**{field: value})  # type: ignore[arg-type]
    assert issubclass(ClusterConfigError, ValueError)


def test_bad_period_or_no_analysis_fails_clearly(store: Store) -> None:
    with pytest.raises(SignalsError, match="run `signalroom analyze`"):
        detect(store)
    build(store, Month(days=5))
    with pytest.raises(SignalsError, match="starts 2026-03-06 after it ends 2026-03-04"):
        detect(store, 4, 2)
