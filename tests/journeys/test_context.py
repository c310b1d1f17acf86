"""The handoff context card and the next-issue model, on the hand-made warehouse of
tests/journeys/outcome_fixtures.py (expected values worked out by hand in the comments)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from journeys.outcome_fixtures import build_warehouse
from signalroom.cli.app import app
from signalroom.ingest.loader import Loader
from signalroom.journeys.context import ContextError, build_card
from signalroom.journeys.episodes import build_episodes
from signalroom.journeys.next_issue import Contact, NextIssuePredictor, evaluate
from signalroom.store import Store
from support import interaction, write_jsonl


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


# a1 (voice, unresolved) promised a call back by 03-05 and a dispute outcome some day.
A1_SITUATION = {
    "ended": {"status": "follow_up_promised", "due": "in four days", "due_by": "2026-03-05T10:00:00+00:00"},
    "likely_next": [
        {"action": "follow-up call due by 2026-03-05 10:00", "due_by": "2026-03-05T10:00:00+00:00"},
        {"action": "dispute outcome", "due_by": None},
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db: Path = build_warehouse(tmp_path_factory.mktemp("context"))
    with Store.open(db) as store:
        store.connection.execute(
            "INSERT INTO stage_results VALUES ('t', 'a1', 'situation', ?, 1)", [orjson.dumps(A1_SITUATION).decode()]
        )
        store.connection.execute(
            "INSERT INTO stage_results VALUES ('t', 'a1', 'sentiment', ?, 1)",
            [orjson.dumps({"label": "negative", "parties": {"customer": {"end": -0.4}}}).decode()],
        )
    return db


# The inbound contacts with a person and a reason: a1 r1 03-01, a2 r1 03-03, a3 r2 03-08, b1 r3 03-02 09:00,
# b3 r3 03-04 09:00, c2 r2 03-07 12:00, d1 r1 03-20 08:00, e2 r2 03-06 20:00. Within 7 days: a1→a2 (r1→r1),
# a2→a3 (r1→r2), b1→b3 (r3→r3): 3 transitions, 2 repeats.
HISTORY = [
    Contact(1, 1, _at(1), False),
    Contact(1, 1, _at(3), True),
    Contact(1, 2, _at(8), True),
    Contact(2, 3, _at(2, 9), True),
    Contact(2, 3, _at(4, 9), True),
    Contact(3, 2, _at(7, 12), True),
    Contact(4, 1, _at(20, 8), True),
    Contact(5, 2, _at(6, 20), True),
]


def test_the_predictor_smooths_and_backs_off() -> None:
    model = NextIssuePredictor().fit(HISTORY)
    assert (model.n_transitions_, model.repeats_, model.classes_) == (3, 2, [1, 2, 3])
    # P(r') = (1 + 1) / (3 + 3) = 1/3 each; an unknown reason gets exactly that.
    assert model.predict_proba(9) == pytest.approx({1: 1 / 3, 2: 1 / 3, 3: 1 / 3})
    # Stay rate (2 + 1) / (3 + 2) = 0.6 → prior for r3: 0.4/3 + 0.6; then (n(3, r') + 20 · prior) / (1 + 20).
    prior_3, prior_other = 0.4 / 3 + 0.6, 0.4 / 3
    assert model.predict_proba(3) == pytest.approx(
        {1: 20 * prior_other / 21, 2: 20 * prior_other / 21, 3: (1 + 20 * prior_3) / 21}
    )
    assert [r for r, _ in model.top(3)] == [3, 1, 2]
    # Followed within the window (data end 03-20 08:00: d1 not counted): r3 1 of 2; all 3 of 7.
    assert model.contact_rate(3) == pytest.approx((1 + 20 * 4 / 9) / 22)
    # A weaker backoff lets r3's single transition speak louder.
    loose = NextIssuePredictor(backoff=1.0).fit(HISTORY)
    assert loose.predict_proba(3)[3] == pytest.approx((1 + prior_3) / 2)


def test_the_predictor_round_trips_and_checks_its_input() -> None:
    model = NextIssuePredictor(use_resolved=True).fit(HISTORY)
    again = NextIssuePredictor.from_dict(json.loads(json.dumps(model.to_dict())))
    for topic, resolved in ((1, False), (1, True), (3, None), (None, None)):
        assert again.predict_proba(topic, resolved) == model.predict_proba(topic, resolved)
    assert again.get_params() == model.get_params()
    with pytest.raises(ValueError, match="window_days"):
        NextIssuePredictor(window_days=0)
    with pytest.raises(ValueError, match="format"):
        NextIssuePredictor.from_dict({"format": "other"})
    with pytest.raises(RuntimeError, match="fit"):
        NextIssuePredictor().predict_proba(1)


def test_held_out_evaluation_splits_by_time() -> None:
    # 03-01 … 03-20 is 20 days; 10% of them: fitted on 03-01 and 03-02 (a1, b1: no transition
    # within them), scored on the transitions starting from 03-03: a2 → a3 (r1 → r2) only.
    result = evaluate(HISTORY, train_fraction=0.1)
    assert result.cutoff == _at(3, 0) and (result.train_days, result.test_days) == (2, 18)
    assert (result.train_transitions, result.test_transitions, result.repeat_top1) == (0, 1, 0.0)
    # r2 was never seen before the cutoff: no probability, scored at the floor (-ln 1e-6).
    assert (result.baseline.top1, result.baseline.top3, result.baseline.log_loss) == (0.0, 0.0, 13.8155)
    with pytest.raises(ValueError, match="train_fraction"):
        evaluate(HISTORY, train_fraction=1.0)
    with pytest.raises(ValueError, match="no contacts"):
        evaluate([])


def test_the_card_of_a_repeat_contact(warehouse: Path) -> None:
    with Store.open(warehouse) as store:
        card = build_card(store, "b3")  # builds the episodes: the warehouse has none
    data = card.to_dict()
    assert data["interaction"]["chain"] == [
        {"source": "t", "id": "b3", "channel": "voice", "started_at": _at(4, 9), "queue": "cards"}
    ]  # b4 (its transfer leg) starts after it
    assert (data["interaction"]["contact_id"], data["interaction"]["reason"]) == ("b3", "reason 3")
    customer = data["customer"]
    assert (customer["identified"], customer["identifiers"], customer["contacts_before"]) == (True, {"id": 1}, 1)
    prior = data["prior"]
    assert [(e["id"], e["type"], e["failed"]) for e in prior["events"]] == [("ev3", "otp_error", True)]
    assert prior["failed_self_service"] == ["otp_error (web) 2026-03-04 08:00"]
    [bot] = prior["bot_sessions"]  # b1, two days before: not in b3's chain
    assert (bot["id"], bot["in_chain"], bot["outcome"], bot["last_turns"]) == ("b1", False, "escalated", [])
    [previous] = data["previous_contacts"]
    assert (previous["id"], previous["channel"], previous["reason"], previous["interactions"]) == (
        "b1",
        "bot",
        "reason 3",
        2,
    )
    assert (previous["resolved"], previous["same_episode"]) == (True, True)  # b2, its handoff, resolved it
    episode = data["open_episode"]
    assert (episode["first_contact_at"], episode["contacts_before"], episode["is_repeat"]) == (_at(2, 9), 1, True)
    assert data["open_actions"] == []
    likely = data["likely_next"]
    assert likely["basis"] == "this contact's reason"
    assert [(c["topic_id"], c["probability"]) for c in likely["candidates"]] == [(3, 0.746), (1, 0.127), (2, 0.127)]
    assert likely["held_out"] is None  # nothing starts after the cutoff and has a next contact
    assert data["notes"] == []


def test_open_actions_and_previous_outcomes(warehouse: Path) -> None:
    with Store.open(warehouse) as store:
        a2 = build_card(store, "a2", source="t").to_dict()
        a3 = build_card(store, "a3", source="t").to_dict()
    assert [(a["kind"], a["action"], a["due_by"], a["id"]) for a in a2["open_actions"]] == [
        ("promise", "follow-up call due by 2026-03-05 10:00", _at(5), "a1"),  # the end's same due date: once
        ("expected", "dispute outcome", None, "a1"),
        ("unresolved_contact", "voice contact about reason 1 ended unresolved", None, "a1"),
    ]
    [previous] = a2["previous_contacts"]
    assert (previous["outcome"], previous["sentiment"], previous["resolved"]) == (
        "follow_up_promised",
        "negative",
        False,
    )
    assert [e["type"] for e in a2["prior"]["events"]] == ["payment"]  # ev6, not a failure
    # At a3 (03-08) the call-back date has passed; the undated dispute outcome is exactly 7 days old.
    assert [(a["kind"], a["action"]) for a in a3["open_actions"]] == [("expected", "dispute outcome")]
    assert a3["open_episode"]["is_repeat"] is False and len(a3["previous_contacts"]) == 2


def _two_sources(tmp_path: Path) -> Path:
    records = [
        interaction("x1", started_at="2026-03-02T09:00:00Z", ended_at="2026-03-02T09:05:00Z"),
        interaction("anon", customer={"id": "cus-9", "name": "Zed"}, started_at="2026-03-03T09:00:00Z", ended_at=None),
    ]
    data = write_jsonl(tmp_path / "r.jsonl", records)
    db = tmp_path / "w.duckdb"
    with Store.open(db) as store:
        Loader(store).ingest([data], fmt="jsonl", source="s1")
        Loader(store).ingest([data], fmt="jsonl", source="s2")
        build_episodes(store)  # resolves identities first
        # As if anon's identifiers linked nobody: no person, and so a contact without one.
        store.connection.execute("DELETE FROM record_persons WHERE record_id = 'anon'")
        build_episodes(store)
    return db


def test_unidentified_and_ambiguous_interactions(tmp_path: Path) -> None:
    db = _two_sources(tmp_path)
    with Store.open(db) as store:
        with pytest.raises(ContextError, match=r"'x1' is in several sources \(s1, s2\)"):
            build_card(store, "x1")
        with pytest.raises(ContextError, match="no interaction 'x9'"):
            build_card(store, "x9")
        with pytest.raises(ContextError, match="hours"):
            build_card(store, "x1", source="s1", hours=0)
        card = build_card(store, "anon", source="s2")
    assert card.customer.identified is False and card.customer.name == "Zed"
    assert card.interaction.chain[0]["id"] == "anon" and card.previous_contacts == []
    assert any("not identified" in note for note in card.notes)


def test_context_command(warehouse: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["context", "b3", "--db", str(warehouse), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["open_episode"]["is_repeat"] is True and data["prior"]["hours"] == 72
    text = runner.invoke(app, ["context", "a2", "--db", str(warehouse), "--hours", "24"])
    assert text.exit_code == 0 and "Open actions" in text.stdout and "promise" in text.stdout
    bad = runner.invoke(app, ["context", "b3", "--db", str(warehouse), "--hours", "0"])
    assert bad.exit_code == 2 and "--hours must be at least 1" in bad.output
    missing = runner.invoke(app, ["context", "zz", "--db", str(warehouse)])
    assert missing.exit_code == 2 and "no interaction 'zz'" in missing.output
    ambiguous = runner.invoke(app, ["context", "x1", "--db", str(_two_sources(tmp_path))])
    assert ambiguous.exit_code == 2 and "--source" in ambiguous.output
    evaluated = runner.invoke(app, ["context", "--evaluate", "--db", str(warehouse), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["train_days"] == 15
