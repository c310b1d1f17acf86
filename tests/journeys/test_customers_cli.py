"""`signalroom customers show`: found by any identifier, with a timeline across channels in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from identity_fixtures import cli, cli_json, load, person_of


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    load(path, tmp_path)
    return path


@pytest.mark.parametrize(
    "asked",
    [
        "C1",  # the customer (profile) id
        "id:C1",
        "ann.lee@EXAMPLE.com",  # an email, in any case
        "07700 900123",  # a phone, as written in the profile
        "+44 7700 900123",  # and as the call carried it
        "annlee",  # a handle without its @
        "@AnnLee",
        "40-11-22 3141592",  # an account number, with its separators
        "account:4011223141592",
    ],
)
def test_show_finds_the_person_by_any_identifier(db: Path, asked: str) -> None:
    found = cli_json("customers", "show", asked, "--db", str(db))
    assert found["person_id"] == f"P{person_of(db, 'profile', 'C1')}"
    assert found["asked"] == asked


def test_show_by_person_id_gives_the_whole_customer_and_their_timeline(db: Path) -> None:
    person = person_of(db, "profile", "C1")
    found = cli_json("customers", "show", f"P{person}", "--db", str(db))
    assert found["matched"] is None and found["merged_from"] is None
    assert found["anchor"] == "id:C1"
    assert found["names"] == [
        {"name": "Ann Lee", "records": 1, "in_profile": True},
        {"name": "Ann L.", "records": 1, "in_profile": False},  # as the social post signed
    ]
    assert [(p["source"], p["id"], p["name"]) for p in found["profiles"]] == [("crm", "C1", "Ann Lee")]
    identifiers = {(i["kind"], i["value"]): i for i in found["identifiers"]}
    assert set(identifiers) == {
        ("id", "C1"),
        ("account", "4011223141592"),
        ("email", "ann.lee@example.com"),
        ("phone", "+447700900123"),
        ("handle", "@annlee"),
    }
    assert identifiers[("handle", "@annlee")]["in_profile"] is False
    assert identifiers[("handle", "@annlee")]["records"] == 2
    assert found["counts"] == {"interactions": 3, "events": 1, "surveys": 2}
    assert found["channels"] == {"chat": 1, "social": 1, "voice": 1}
    timeline = [(e["record"], e["id"]) for e in found["timeline"]]
    assert timeline == [
        ("event", "e-1"),
        ("interaction", "call-1"),
        ("survey", "call-1/survey"),
        ("interaction", "chat-1"),
        ("survey", "s-1"),
        ("interaction", "social-1"),
    ]
    call = found["timeline"][1]
    assert (call["channel"], call["queue"], call["agent_id"], call["resolved"]) == ("voice", "cards", "ag-7", True)
    assert call["reason"] is None  # not analysed
    assert call["via"] == ["phone:+447700900123"]
    survey = found["timeline"][4]
    assert (survey["csat"], survey["nps"], survey["interaction_id"]) == (4, 8, "chat-1")
    assert found["timeline"][0]["type"] == "login_failed"
    assert found["timeline_total"] == 6
    for spelling in (f"p{person}", f"person:{person}", f"person:P{person}"):
        assert cli_json("customers", "show", spelling, "--db", str(db))["person_id"] == f"P{person}"


def test_show_as_text_with_a_limited_timeline(db: Path) -> None:
    result = cli("customers", "show", "C1", "--limit", "2", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "Ann Lee" in result.stdout and "anchored by id:C1" in result.stdout
    assert "social-1" in result.stdout and "e-1" not in result.stdout
    assert "The last 2 of 6 entries" in result.stdout


def test_unknown_and_ambiguous_identifiers_are_clear_errors(db: Path) -> None:
    unknown = cli("customers", "show", "nobody@example.com", "--db", str(db))
    assert unknown.exit_code == 2
    assert "no customer known by 'nobody@example.com'" in unknown.output
    assert cli("customers", "show", "P999", "--db", str(db)).exit_code == 2
    bad = cli("customers", "show", "phone:call me", "--db", str(db))
    assert bad.exit_code == 2 and "'call me' is not a usable phone" in bad.output
    # ZED1 is a customer id and, written ZED-1, someone else's account number.
    ambiguous = cli("customers", "show", "ZED1", "--db", str(db))
    assert ambiguous.exit_code == 2
    assert "matches several people" in ambiguous.output and "id:ZED1" in ambiguous.output
    assert cli_json("customers", "show", "account:ZED1", "--db", str(db))["anchor"] == "account:ZED1"
    # Merging them makes the bare value unambiguous; the merged-away person id still answers.
    gone = cli_json("customers", "show", "account:ZED1", "--db", str(db))["person_id"]
    cli_json("customers", "merge", "id:ZED1", "account:ZED1", "--db", str(db))
    found = cli_json("customers", "show", gone, "--db", str(db))
    assert found["merged_from"] == gone and found["anchor"] == "id:ZED1"
    same = cli("customers", "merge", "id:ZED1", "account:ZED1", "--db", str(db))
    assert same.exit_code == 2 and "already one person" in same.output


def test_split_of_a_lone_identifier_and_undo_of_nothing_are_errors(db: Path) -> None:
    result = cli("customers", "split", "id:ZED1", "--db", str(db))
    assert result.exit_code == 2 and "only identifier" in result.output
    assert cli("customers", "undo", "42", "--db", str(db)).exit_code == 2


def test_list_and_conflicts_as_text(db: Path) -> None:
    listed = cli("customers", "list", "--db", str(db))
    assert listed.exit_code == 0, listed.output
    assert "6 people (4 with a profile)" in listed.stdout and "Ann Lee" in listed.stdout
    found = cli_json("customers", "list", "--limit", "1", "--db", str(db))
    [top] = found["most_contacts"]
    assert (top["name"], top["interactions"], top["channels"]) == ("Ann Lee", 3, ["chat", "social", "voice"])
    assert found["channels"] == {"one channel": 2, "three or more": 1}  # C2's chat, the shared phone's call
    result = cli("customers", "resolve", "--db", str(db))
    assert result.exit_code == 0 and "1 conflicts" in result.stdout
    assert "records carry no usable identifier" in result.stdout
