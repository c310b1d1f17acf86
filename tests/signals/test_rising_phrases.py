"""Rising phrases: the filters, the need-adjusted test and the folding as pure functions, and the
day-by-day detector on contacts written into a real store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pyarrow as pa
import pytest

from signalroom.signals.needs import Needs
from signalroom.signals.phrases import PhraseConfig, analyzer, detect_phrases, expected_counts, fold, telling
from signalroom.store import Store

START = date(2026, 3, 2)  # a Monday
NEEDS = Needs(of_reason={1: 1, 2: 2, 3: 2}, members={1: [1], 2: [2, 3]}, labels={1: "app login", 2: "billing"})
USUAL = {
    1: ["I can't log in to the app", "the app asks for a code that never arrives", "my fingerprint login fails"],
    2: ["I want to check my bill", "why is my bill higher this month", "I was charged twice for my bill"],
    3: ["can I pay by direct debit", "I need a copy of my statement", "my name is [NAME] and my card is [CARD]"],
}


def write_contacts(store: Store, contacts: list[tuple[str, date, int | None, int, str]]) -> None:
    """(key, local date, reason, person, what the customer said — turns split on '|')."""
    contact_rows, links, turns = [], [], []
    for key, day, reason, person, text in contacts:
        at = datetime.combine(day, time(10), tzinfo=UTC)
        contact_rows.append({"contact_source": "t", "contact_id": key, "person_id": person, "topic_id": reason,
                             "episode_id": 0, "started_at": at, "local_date": day, "channel": "chat",
                             "interactions": 1, "inbound": True, "self_service_only": False})  # fmt: skip
        links.append({"source": "t", "id": key, "contact_source": "t", "contact_id": key, "episode_id": 0,
                      "topic_id": reason, "channel": "chat", "local_date": day, "assisted": True,
                      "transferred": False, "escalated": False})  # fmt: skip
        turns.append({"source": "t", "interaction_id": key, "seq": 0, "speaker": "agent", "text": "How can I help?"})
        for seq, said in enumerate(text.split("|"), start=1):
            turns.append({"source": "t", "interaction_id": key, "seq": seq, "speaker": "customer", "text": said})
    con = store.connection
    for table, records in (("contacts", contact_rows), ("episode_interactions", links), ("turns", turns)):
        con.register("new_rows", pa.Table.from_pylist(records))
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM new_rows")
        con.unregister("new_rows")


def month(
    plant: dict[int, tuple[int, int, str]] | None = None, days: int = 30
) -> list[tuple[str, date, int | None, int, str]]:
    """Weekdays 40 contacts, weekends 12, each reason's usual sentences at fixed shares; on day
    ``i`` of ``plant`` a further ``n`` contacts of reason ``r`` say ``text`` (``{ending}`` one of
    three endings)."""
    out: list[tuple[str, date, int | None, int, str]] = []
    for i in range(days):
        day = START + timedelta(days=i)
        total = 40 if day.weekday() < 5 else 12
        for j in range(total):
            reason = (1, 2, 2, 3)[j % 4]
            said = USUAL[reason][(i + j) % 3]
            out.append((f"c{i}-{j}", day, reason, 1000 * i + j, said))
        if plant and i in plant:
            n, reason, text = plant[i]
            out += [
                (f"p{i}-{k}", day, reason, 900000 + 1000 * i + k, text.format(ending=ENDINGS[k % 3])) for k in range(n)
            ]
    return out


ENDINGS = ["the app keeps crashing", "my login fails", "it won't open"]


def planted(n: int = 8, reason: int = 1) -> dict[int, tuple[int, int, str]]:
    # From day 17 (a Thursday) to 19, customers of the reason say "since the update …" three ways.
    return {i: (n, reason, "since the update {ending}|I can't log in to the app") for i in (17, 18, 19)}


def test_filters_keep_telling_phrases_only() -> None:
    assert telling("since the update") and telling("7.4.0 update") and telling("spring unlimited")
    assert not telling("it is the")  # stop words only
    assert not telling("i'm can't")  # contractions of stop words
    assert not telling("10 20")  # numbers only
    assert not telling("my [card]") and not telling("[name] account")  # a redaction mark
    grams = analyzer(PhraseConfig())("Since the update (7.4.0), it crashes. My card is [CARD]")
    assert "update 7.4.0" in grams and "since the update" in grams
    assert "crashes my" not in grams  # not across a sentence
    assert "is [card]" in grams and not telling("is [card]")


def test_expected_counts_follow_the_need_not_only_the_phrase() -> None:
    config = PhraseConfig()
    # A phrase said by half of need 0's baseline contacts and none of need 1's: need 0 tripling
    # today makes it expected three times as often.
    base, totals = np.array([[50.0], [0.0]]), np.array([100.0, 100.0])
    calm = expected_counts(np.array([10, 10]), base, totals, config)[0]
    busy = expected_counts(np.array([30, 10]), base, totals, config)[0]
    assert calm == pytest.approx(5, rel=0.1) and busy == pytest.approx(3 * calm, rel=0.05)
    # Never said before: small but not zero, so it can be tested.
    new = expected_counts(np.array([30, 10]), np.zeros((2, 1)), totals, config)[0]
    assert 0 < new < 0.1


def test_fold_joins_pieces_of_one_phrase_said_by_the_same_contacts() -> None:
    phrases = ["since the", "the update", "since the update", "update the app", "my bill"]
    said = [frozenset(range(10)), frozenset(range(11)), frozenset(range(10)), frozenset(range(9)), frozenset(range(10))]
    groups = fold(phrases, said, [1e-9, 1e-9, 1e-9, 1e-8, 1e-9], 0.8)
    named = {phrases[g[0]]: sorted(phrases[i] for i in g[1:]) for g in groups}
    # "my bill" has the same contacts but is no piece of the phrase: it stays apart.
    assert named == {"since the update": ["since the", "the update", "update the app"], "my bill": []}
    # Pieces said mostly by different contacts are two phrases.
    apart = fold(
        ["update the app", "the app keeps"], [frozenset(range(10)), frozenset(range(5, 20))], [1e-9, 1e-9], 0.8
    )
    assert len(apart) == 2


def test_a_new_phrase_is_detected_on_its_first_day_folded_and_attributed(store: Store) -> None:
    write_contacts(store, month(planted()))
    found = detect_phrases(store, NEEDS, start=START + timedelta(days=15), end=START + timedelta(days=29))
    assert len(found) == 1, [(f.subject, f.measure["folded"]) for f in found]
    f = found[0]
    assert f.detector == "phrase" and f.phrase == f.subject == "since the update"
    assert "the update" in f.measure["folded"]
    assert f.first_detected == START + timedelta(days=17)
    assert f.last_detected <= START + timedelta(days=19)
    assert (f.need, f.reasons) == (1, (1,))
    assert f.measure["contacts"] == 8 and f.measure["baseline_contacts"] == 0
    assert f.support == 8 * f.days_detected and f.customers == f.support
    assert len(f.evidence) == 5 and all(e.startswith("t/p") for e in f.evidence)
    assert f.p_value < 1e-6 and f.extra_contacts > 7 * f.days_detected
    # The series runs from two weeks before the first detection to the end, with what was expected.
    assert f.series[0]["day"] == (START + timedelta(days=3)).isoformat()
    assert f.series[-1]["day"] == (START + timedelta(days=29)).isoformat()
    day17 = next(s for s in f.series if s["day"] == (START + timedelta(days=17)).isoformat())
    assert day17["contacts"] == 8 and day17["all"] == 48 and day17["expected"] < 0.5


def test_each_day_is_judged_on_the_days_before_it(store: Store) -> None:
    write_contacts(store, month(planted()))
    before = detect_phrases(store, NEEDS, start=START + timedelta(days=16), end=START + timedelta(days=16))
    on = detect_phrases(store, NEEDS, start=START + timedelta(days=17), end=START + timedelta(days=17))
    assert before == [] and [f.subject for f in on] == ["since the update"]


def test_a_flat_month_with_a_strong_week_raises_nothing(store: Store) -> None:
    write_contacts(store, month())
    assert detect_phrases(store, NEEDS, start=START + timedelta(days=3), end=START + timedelta(days=29)) == []


def test_a_need_that_grows_does_not_make_its_usual_phrases_rise(store: Store) -> None:
    # Billing triples on day 20 with its usual sentences: a rising need, not a new phrase.
    contacts = month()
    day = START + timedelta(days=20)
    contacts += [(f"b{k}", day, 2, 800000 + k, USUAL[2][k % 3]) for k in range(40)]
    write_contacts(store, contacts)
    assert detect_phrases(store, NEEDS, start=START + timedelta(days=15), end=START + timedelta(days=29)) == []


def test_too_few_contacts_is_not_an_alert(store: Store) -> None:
    write_contacts(store, month(planted(n=4)))
    window = (START + timedelta(days=15), START + timedelta(days=29))
    assert detect_phrases(store, NEEDS, start=window[0], end=window[1]) == []
    assert [
        f.subject
        for f in detect_phrases(store, NEEDS, start=window[0], end=window[1], config=PhraseConfig(min_contacts=4))
    ] == ["since the update"]


def test_marks_and_stop_words_never_rise(store: Store) -> None:
    # Day 20: twelve contacts say only a redaction mark and stop words.
    write_contacts(store, month({20: (12, 2, "it is [ACCOUNT] and i am [NAME]|it is what it is")}))
    assert detect_phrases(store, NEEDS, start=START + timedelta(days=15), end=START + timedelta(days=29)) == []


def test_a_phrase_across_needs_has_no_need(store: Store) -> None:
    contacts = month()
    day = START + timedelta(days=20)
    # Four contacts of need 1, three of need 2, three without a reason: no need holds half.
    reasons = [1, 1, 1, 1, 2, 3, 2, None, None, None]
    contacts += [(f"x{k}", day, r, 700000 + k, "the new fee letter confused me") for k, r in enumerate(reasons)]
    write_contacts(store, contacts)
    found = detect_phrases(store, NEEDS, start=day, end=day)
    assert [f.subject for f in found] == ["new fee letter confused"]
    assert found[0].need is None and found[0].reasons == ()


def test_no_contacts_and_reversed_dates(store: Store) -> None:
    assert detect_phrases(store, NEEDS, start=START, end=START + timedelta(days=3)) == []
    with pytest.raises(ValueError, match="after end"):
        detect_phrases(store, NEEDS, start=START + timedelta(days=3), end=START)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"baseline_days": 2}, "at least 3 days"),
        ({"min_words": 3, "max_words": 2}, "min_words ≤ max_words"),
        ({"alpha": 0}, "alpha must be between 0 and 1"),
        ({"min_contacts": 0}, "min_contacts must be at least 1"),
        ({"min_ratio": 0.5}, "min_ratio must be at least 1"),
        ({"smoothing": 0}, "smoothing must be positive"),
        ({"fold_similarity": 1.5}, "fold_similarity must be in"),
        ({"need_share": 0}, "need_share must be in"),
    ],
)
def test_bad_config_is_refused(values: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PhraseConfig(**values)  # type: ignore[arg-type]
