"""Actions (docs/actions.md): created from a signal or by hand, moved through their statuses with
every forbidden transition refused, commented on, linked to evidence, every change kept in the
history and announced as a webhook event in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from signalroom.actions.actions import (
    STATUSES,
    TRANSITIONS,
    ActionError,
    create_action,
    list_actions,
    rate_of_signal,
    show_action,
    update_action,
)
from signalroom.cli.actions import app
from signalroom.store import Store
from support import count, rows

T0 = datetime(2026, 3, 13, 9, tzinfo=UTC)


def _contacts(store: Store) -> None:
    """Reasons 5 and 6 on a few days, and two interactions to link as evidence."""
    con = store.connection
    con.executemany(
        "INSERT INTO contacts (contact_source, contact_id, person_id, topic_id, episode_id, started_at, local_date, "
        "channel, interactions, inbound, self_service_only) VALUES ('demo', ?, 1, ?, 1, ?, ?, 'voice', 1, TRUE, FALSE)",
        [[f"c{k}", 5 if k % 3 else 6, datetime(2026, 3, 1 + k % 5, 10, tzinfo=UTC), date(2026, 3, 1 + k % 5)]
         for k in range(30)],
    )  # fmt: skip
    con.executemany(
        "INSERT INTO interactions (source, id, channel, started_at, utc_offset_minutes, turn_count, content_hash, "
        "load_id) VALUES ('demo', ?, 'voice', TIMESTAMPTZ '2026-03-02 10:00:00+00', 0, 0, 'h', 1)",
        [["c1"], ["c2"]],
    )


def _signal(store: Store, *, reasons: list[int], findings: list[dict[str, Any]], owner_function: str | None = "product",
            owner: str | None = "ana", kind: str = "need") -> int:  # fmt: skip
    signal_id = int(rows(store, "SELECT nextval('signal_ids')")[0][0])
    store.connection.execute(
        "INSERT INTO signals VALUES (?, ?, ?, ?, ?, ?, DATE '2026-03-12', DATE '2026-03-13', 1, 9.5, 40, 30, 25.0, "
        "0.0, NULL, 0, ?, ?, 'password words', ?, '[]', '[]', now(), now())",
        [signal_id, f"need:{signal_id}", "password reset rising", kind, reasons,
         [f["detector"] for f in findings], owner_function, owner, orjson.dumps(findings).decode()],
    )  # fmt: skip
    return signal_id


def _finding(detector: str, p: float = 1e-6, **measure: Any) -> dict[str, Any]:
    return {"detector": detector, "subject": "s", "first_detected": "2026-03-12", "last_detected": "2026-03-13",
            "p_value": p, "measure": measure}  # fmt: skip


@pytest.fixture
def filled(store: Store) -> Store:
    _contacts(store)
    return store


def _by_hand(store: Store, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"by": "lee", "title": "fix the reset page", "reasons": [5], "owner_function": "product",
                            "when": T0}  # fmt: skip
    return create_action(store, **{**args, **overrides})


def _subscribe(store: Store, events: list[str]) -> None:
    store.connection.execute(
        "INSERT INTO webhook_subscriptions VALUES (nextval('webhook_subscription_ids'), 'http://127.0.0.1:9/h', "
        "'secret', ?, TRUE, now())",
        [events],
    )


# -- create ---------------------------------------------------------------------------------------


def test_an_action_from_a_signal_takes_its_title_reasons_and_suggested_owner(filled: Store) -> None:
    signal_id = _signal(filled, reasons=[5, 6], findings=[_finding("volume")])
    action = create_action(filled, by="lee", signal_id=signal_id, due=date(2026, 3, 20), when=T0)
    assert action["title"] == "password reset rising" and action["signal_id"] == signal_id
    assert (action["owner_function"], action["owner"], action["status"]) == ("product", "ana", "open")
    assert action["measure"]["reasons"] == [5, 6] and action["measure"]["rate"] == "share"
    assert action["due"] == date(2026, 3, 20) and action["created_by"] == "lee"
    history = show_action(filled, action["action_id"])["history"]
    assert [e["kind"] for e in history] == ["created"] and history[0]["detail"]["signal_id"] == signal_id
    # Given values win over the signal's suggestions.
    other = create_action(filled, by="lee", signal_id=signal_id, owner_function="Training", owner="kim",
                          title="coach the reset script")  # fmt: skip
    assert (other["owner_function"], other["owner"], other["title"]) == ("training", "kim", "coach the reset script")


def test_the_measured_rate_follows_the_signals_findings() -> None:
    assert rate_of_signal({"findings": [_finding("repeat_rate")]})[0] == "repeat_rate"
    # The strongest of several within-reason findings decides.
    both = [_finding("transfer_rate", 1e-3), _finding("negative_sentiment", 1e-9)]
    assert rate_of_signal({"findings": both})[0] == "negative_sentiment"
    assert rate_of_signal({"findings": [_finding("driver", outcome="transfer")]})[0] == "transfer_rate"
    # Anything about volume measures the share of contacts.
    assert rate_of_signal({"findings": [_finding("repeat_rate"), _finding("volume")]})[0] == "share"
    assert rate_of_signal({"findings": [_finding("driver", outcome="churn")]})[0] == "share"
    assert rate_of_signal({"findings": []})[0] == "share"


def test_a_signal_found_by_the_repeat_detector_is_measured_on_its_repeat_rate(filled: Store) -> None:
    signal_id = _signal(filled, reasons=[6], findings=[_finding("repeat_rate")])
    action = create_action(filled, by="lee", signal_id=signal_id)
    assert action["measure"]["rate"] == "repeat_rate" and "same reason" in action["measure"]["definition"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"owner_function": "sales"}, "unknown owner function 'sales'; owner functions: product, marketing"),
        ({"owner_function": None}, "give --function, one of product, marketing, operations"),
        ({"title": None}, "an action needs a signal (--signal ID) or a title"),
        ({"reasons": [5, 99]}, "unknown reason(s) 99"),
        ({"reasons": []}, "give --reasons"),
        ({"signal_id": 42}, "no signal 42"),
        ({"rate": "speed"}, "unknown rate 'speed'"),
        ({"by": " "}, "give --by NAME"),
    ],
)
def test_bad_creations_are_refused_clearly(filled: Store, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ActionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _by_hand(filled, **overrides)
    assert count(filled, "actions") == 0 and count(filled, "action_events") == 0


def test_a_signal_about_no_reason_needs_reasons_given(filled: Store) -> None:
    signal_id = _signal(filled, reasons=[], findings=[_finding("phrase")], kind="phrase")
    with pytest.raises(ActionError, match="about no reason"):
        create_action(filled, by="lee", signal_id=signal_id)
    assert create_action(filled, by="lee", signal_id=signal_id, reasons=[6])["measure"]["reasons"] == [6]


# -- transitions ----------------------------------------------------------------------------------

_PATH = {"open": [], "in_progress": ["in_progress"], "done": ["in_progress", "done"],
         "verified": ["in_progress", "done", "verified"], "rejected": ["rejected"]}  # fmt: skip


def _at(store: Store, status: str) -> int:
    action_id = int(_by_hand(store)["action_id"])
    for step in _PATH[status]:
        update_action(store, action_id, by="lee", status=step, reason="duplicate" if step == "rejected" else None)
    return action_id


def test_the_lifecycle_open_to_verified_with_its_history(filled: Store) -> None:
    action_id = _at(filled, "open")
    update_action(filled, action_id, by="kim", status="in-progress", when=datetime(2026, 3, 14, tzinfo=UTC))
    done = update_action(filled, action_id, by="kim", status="done", when=datetime(2026, 3, 19, 8, tzinfo=UTC))
    assert done["status"] == "done" and done["done_at"] == datetime(2026, 3, 19, 8, tzinfo=UTC)
    # Reopened: done_at is cleared until it is done again.
    reopened = update_action(
        filled, action_id, by="kim", status="in_progress", when=datetime(2026, 3, 19, 9, tzinfo=UTC)
    )
    assert reopened["done_at"] is None
    with pytest.raises(ActionError, match="a change cannot be dated before it"):
        update_action(filled, action_id, by="kim", status="done", when=datetime(2026, 3, 19, 8, tzinfo=UTC))
    update_action(filled, action_id, by="kim", status="done", when=datetime(2026, 3, 20, tzinfo=UTC))
    verified = update_action(filled, action_id, by="lee", status="verified")
    assert verified["status"] == "verified" and verified["done_at"] == datetime(2026, 3, 20, tzinfo=UTC)
    history = show_action(filled, action_id)["history"]
    steps = [(e["detail"]["from"], e["detail"]["to"]) for e in history if e["kind"] == "status"]
    assert steps == [("open", "in_progress"), ("in_progress", "done"), ("done", "in_progress"),
                     ("in_progress", "done"), ("done", "verified")]  # fmt: skip
    assert [e["actor"] for e in history] == ["lee", "kim", "kim", "kim", "kim", "lee"]


_FORBIDDEN = [(a, b) for a in STATUSES for b in STATUSES if b not in TRANSITIONS[a]]


def test_the_forbidden_transitions_are_exactly_the_unlisted_ones() -> None:
    allowed = {(a, b) for a in STATUSES for b in STATUSES} - set(_FORBIDDEN)
    assert allowed == {("open", "in_progress"), ("in_progress", "done"), ("done", "verified"), ("done", "in_progress"),
                       ("open", "rejected"), ("in_progress", "rejected"), ("done", "rejected")}  # fmt: skip


@pytest.mark.parametrize(("current", "target"), _FORBIDDEN)
def test_every_forbidden_transition_is_refused_naming_both_statuses(filled: Store, current: str, target: str) -> None:
    action_id = _at(filled, current)
    before = count(filled, "action_events")
    with pytest.raises(ActionError, match=f"action {action_id} is {current}: it cannot become {target}"):
        update_action(filled, action_id, by="lee", status=target, reason="because" if target == "rejected" else None)
    assert count(filled, "action_events") == before
    assert show_action(filled, action_id)["status"] == current


@pytest.mark.parametrize("current", ["open", "in_progress", "done"])
def test_rejecting_needs_a_reason(filled: Store, current: str) -> None:
    action_id = _at(filled, current)
    with pytest.raises(ActionError, match="needs a reason: give --reason"):
        update_action(filled, action_id, by="lee", status="rejected")
    rejected = update_action(filled, action_id, by="lee", status="rejected", reason="a known outage, fixed upstream")
    assert rejected["status"] == "rejected" and rejected["rejected_reason"] == "a known outage, fixed upstream"
    last = show_action(filled, action_id)["history"][-1]
    assert last["detail"] == {"from": current, "to": "rejected", "reason": "a known outage, fixed upstream"}


def test_a_reason_without_rejecting_and_an_unknown_status_are_errors(filled: Store) -> None:
    action_id = _at(filled, "open")
    with pytest.raises(ActionError, match="--reason explains a rejection"):
        update_action(filled, action_id, by="lee", status="in_progress", reason="why")
    with pytest.raises(ActionError, match="unknown status 'finished'; statuses: open, in_progress"):
        update_action(filled, action_id, by="lee", status="finished")
    with pytest.raises(ActionError, match="nothing to change"):
        update_action(filled, action_id, by="lee")


# -- comments, evidence, owners -------------------------------------------------------------------


def test_comments_evidence_and_owner_changes_are_kept(filled: Store) -> None:
    action_id = _at(filled, "open")
    update_action(filled, action_id, by="kim", comment="the reset e-mail link expires at once",
                  evidence=["demo/c1", "demo/c2"], note="both say the link is dead")  # fmt: skip
    update_action(filled, action_id, by="lee", owner="kim", due=date(2026, 3, 25), owner_function="operations")
    shown = show_action(filled, action_id)
    note = "both say the link is dead"
    linked = [(e["source"], e["id"], e["note"], e["added_by"]) for e in shown["evidence"]]
    assert linked == [("demo", "c1", note, "kim"), ("demo", "c2", note, "kim")]
    kinds = [e["kind"] for e in shown["history"]]
    assert kinds == ["created", "evidence", "evidence", "comment", "owner", "owner_function", "due"]
    assert shown["history"][3]["detail"] == {"text": "the reset e-mail link expires at once"}
    assert shown["history"][5]["detail"] == {"from": "product", "to": "operations"}
    assert (shown["owner"], shown["owner_function"], shown["due"]) == ("kim", "operations", date(2026, 3, 25))
    assert shown["impact"] is None  # not done


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"evidence": ["demo/nope"]}, "evidence demo/nope: no interaction 'nope' in source 'demo'"),
        ({"evidence": ["c1"]}, "evidence 'c1' is not SOURCE/ID"),
        ({"evidence": ["demo/c1", "demo/c1"]}, "evidence demo/c1 is already linked"),
        ({"note": "why"}, "--note describes linked evidence"),
        ({"comment": "  "}, "an empty comment"),
        ({"owner_function": "legal"}, "unknown owner function 'legal'"),
        ({"owner_function": "product"}, "already owned by product"),
    ],
)
def test_bad_changes_write_nothing(filled: Store, change: dict[str, Any], message: str) -> None:
    action_id = _at(filled, "open")
    with pytest.raises(ActionError, match=message):
        update_action(filled, action_id, by="lee", **{"comment": "ok", **change})
    assert count(filled, "action_events") == 1 and count(filled, "action_evidence") == 0


def test_unknown_actions_are_errors(filled: Store) -> None:
    with pytest.raises(ActionError, match="no action 7"):
        update_action(filled, 7, by="lee", comment="hello")
    with pytest.raises(ActionError, match="no action 7"):
        show_action(filled, 7)


def ids(found: list[dict[str, Any]]) -> list[int]:
    return [int(x["action_id"]) for x in found]


def test_listing_filters_by_status_owner_function_and_overdue(filled: Store) -> None:
    a = _by_hand(filled, owner="kim", due=date(2026, 3, 10))["action_id"]
    b = _by_hand(filled, owner="ana", owner_function="training", due=date(2026, 3, 30))["action_id"]
    c = _by_hand(filled, owner="kim", due=date(2026, 3, 1))["action_id"]
    update_action(filled, c, by="kim", status="in_progress")
    update_action(filled, c, by="kim", status="done")
    assert ids(list_actions(filled)) == [a, b, c]
    assert ids(list_actions(filled, status="done")) == [c]
    assert ids(list_actions(filled, owner="kim")) == [a, c]
    assert ids(list_actions(filled, owner_function="training")) == [b]
    # Done is not overdue, however late.
    assert ids(list_actions(filled, overdue=True, today=date(2026, 3, 15))) == [a]
    assert ids(list_actions(filled, overdue=True, today=date(2026, 4, 1))) == [a, b]
    with pytest.raises(ActionError, match="a done action cannot be overdue"):
        list_actions(filled, status="done", overdue=True)


# -- webhooks -------------------------------------------------------------------------------------


def _events(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [
        (t, orjson.loads(p)) for t, p in rows(store, "SELECT event_type, payload FROM webhook_events ORDER BY event_id")
    ]


def test_no_webhook_event_without_a_subscription(filled: Store) -> None:
    action_id = _at(filled, "done")
    update_action(filled, action_id, by="lee", comment="checked")
    assert count(filled, "webhook_events") == 0 and count(filled, "webhook_deliveries") == 0


def test_every_change_is_announced_to_subscribers(filled: Store) -> None:
    _subscribe(filled, ["action.created", "action.updated"])
    _subscribe(filled, ["signal.created"])  # wants none of these
    action_id = _by_hand(filled)["action_id"]
    update_action(filled, action_id, by="kim", status="in_progress", comment="on it", evidence=["demo/c1"])
    with pytest.raises(ActionError):
        update_action(filled, action_id, by="kim", status="verified")  # refused: announces nothing
    events = _events(filled)
    assert [t for t, _ in events] == ["action.created", "action.updated"]
    created, updated = events[0][1], events[1][1]
    assert created["action"]["action_id"] == action_id
    assert created["action"]["measure"]["reasons"] == [5] and created["by"] == "lee"
    data = updated
    assert data["action"]["status"] == "in_progress" and data["by"] == "kim"
    assert [c["kind"] for c in data["changes"]] == ["evidence", "comment", "status"]
    assert count(filled, "webhook_deliveries") == 2  # one per event, to the one subscription that wants them


# -- the command line -----------------------------------------------------------------------------


def _cli(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    return result


def test_the_commands_create_update_list_and_show(db_path: Path) -> None:
    with Store.open(db_path) as store:
        _contacts(store)
        signal_id = _signal(store, reasons=[5], findings=[_finding("volume")])
    made = _cli(db_path, "create", "--signal", str(signal_id), "--due", "2026-03-20", "--by", "lee", "--json")
    assert made.exit_code == 0, made.output
    action_id = orjson.loads(made.stdout)["action_id"]
    for args in (["--status", "in_progress", "--comment", "started"], ["--evidence", "demo/c1", "--owner", "kim"],
                 ["--status", "done"]):  # fmt: skip
        step = _cli(db_path, "update", str(action_id), *args, "--by", "kim")
        assert step.exit_code == 0, step.output
    shown = orjson.loads(_cli(db_path, "show", str(action_id), "--json").stdout)
    assert shown["status"] == "done" and shown["owner"] == "kim"
    assert [e["kind"] for e in shown["history"]] == ["created", "comment", "status", "owner", "evidence", "status"]
    assert shown["impact"]["verdict"].startswith("too early")  # done today, long after the data
    text = _cli(db_path, "show", str(action_id))
    assert text.exit_code == 0 and "in_progress → done" in text.stdout and "Impact" in text.stdout
    listed = _cli(db_path, "list", "--status", "done", "--json")
    assert [a["action_id"] for a in orjson.loads(listed.stdout)] == [action_id]
    table = _cli(db_path, "list", "--owner", "kim").stdout
    assert "Actions: 1" in table and "done" in table


def test_the_commands_fail_clearly(db_path: Path) -> None:
    with Store.open(db_path) as store:
        _contacts(store)
    by_hand = _cli(db_path, "create", "--title", "fix it", "--reasons", "5,x", "--function", "product")
    assert by_hand.exit_code == 2 and "--reasons 'x' is not a reason id" in by_hand.output
    made = _cli(db_path, "create", "--title", "fix it", "--reasons", "5", "--reasons", "6", "--function", "qa",
                "--by", "lee", "--json")  # fmt: skip
    assert made.exit_code == 0 and orjson.loads(made.stdout)["measure"]["reasons"] == [5, 6]
    bad = _cli(db_path, "update", "1", "--status", "verified")
    assert bad.exit_code == 2 and "action 1 is open: it cannot become verified" in bad.output
    assert "no action 9" in _cli(db_path, "show", "9").output
    assert "--due 'soon' is not a date" in _cli(db_path, "update", "1", "--due", "soon").output
