"""Identity resolution in a real warehouse: after every load, transitive, conflicts kept apart,
manual merges and splits kept across reloads and full re-resolutions."""

from __future__ import annotations

from pathlib import Path

from identity_fixtures import RECORDS, chat, cli, cli_json, load, person_of

from support import write_jsonl


def _people(db: Path, *records: tuple[str, str]) -> list[int | None]:
    return [person_of(db, kind, rid) for kind, rid in records]


C1_RECORDS = (
    ("profile", "C1"),
    ("interaction", "call-1"),  # by the profile's phone, written in national format there
    ("interaction", "chat-1"),  # by the profile's email, in other case
    ("interaction", "social-1"),  # by a handle only chat-1 carried: transitive
    ("event", "e-1"),  # by the account, written without its hyphens
    ("survey", "s-1"),  # by the customer id
    ("survey", "call-1/survey"),  # the survey answered in call-1 carries the call's identifiers
)


def test_records_sharing_identifiers_are_one_person_after_the_load(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    people = _people(db, *C1_RECORDS)
    assert None not in people and len(set(people)) == 1
    stats = cli_json("customers", "list", "--db", str(db))
    # C1; C2; C3; the shared phone; ZED1; the account ZED-1. call-3 identifies nobody.
    assert stats["people"] == 6 and stats["people_with_profile"] == 4
    # The 13 records and 3 surveys embedded in calls, but call-3 and its survey.
    assert (stats["records"], stats["unplaced"]) == (14, 2)
    assert person_of(db, "interaction", "call-3") is None


def test_a_phone_shared_by_two_customers_of_one_source_is_a_conflict_not_a_merge(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    bob, cara, call = _people(db, ("profile", "C2"), ("profile", "C3"), ("interaction", "call-2"))
    assert len({bob, cara, call}) == 3
    assert person_of(db, "interaction", "chat-2") == bob  # its customer id places it, not the phone
    found = cli_json("customers", "conflicts", "--db", str(db))
    assert found["total"] == 1
    [conflict] = found["conflicts"]
    assert conflict["shared"] == ["phone:+447700900999"]
    assert [(c["id"], c["person_id"], c["sources"]) for c in conflict["customers"]] == [
        ("C2", f"P{bob}", ["crm"]),
        ("C3", f"P{cara}", ["crm"]),
    ]
    assert conflict["person_id"] == f"P{call}"
    assert conflict["records"] == 4  # both profiles, the call and the survey answered in it
    assert {e["id"] for e in conflict["examples"]} == {"C2", "C3", "call-2", "call-2/survey"}
    assert "phone:+447700900999" in cli("customers", "conflicts", "--db", str(db)).stdout


def test_manual_merge_and_split_are_kept_across_reloads_and_full_resolutions(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    merged = cli_json("customers", "merge", "C2", "cara@example.com", "--note", "one household", "--db", str(db))
    # Stored by the identifiers given (a person id would be stored by the person's anchor).
    assert merged["action"] == "merge" and merged["identifiers"] == ["id:C2", "email:cara@example.com"]
    split = cli_json("customers", "split", "phone:07700 900123", "--db", str(db))
    assert split["identifiers"] == ["phone:+447700900123"]

    def check() -> None:
        bob, cara, call = _people(db, ("profile", "C2"), ("profile", "C3"), ("interaction", "call-2"))
        assert bob == cara == call  # merged by hand: the household phone is theirs, no conflict
        assert cli_json("customers", "conflicts", "--db", str(db))["total"] == 0
        ann, call_1 = _people(db, ("profile", "C1"), ("interaction", "call-1"))
        assert ann != call_1  # the phone was split off
        assert person_of(db, "interaction", "chat-1") == ann

    check()
    # Reload with a changed chat and a changed profile: the records are replaced, the overrides stay.
    changed = [dict(r) for r in RECORDS]
    changed[1] = {**changed[1], "name": "Robert Stone"}
    changed[10] = chat("chat-2", "2026-03-05T10:00:00+00:00", {"id": "C2", "email": "bob@example.com"}, language="fr")
    summary = load(db, tmp_path, changed)
    assert summary["loads"][0]["updated"] == 2
    check()
    assert cli_json("customers", "resolve", "--full", "--db", str(db))["mode"] == "full"
    check()
    listed = cli_json("customers", "overrides", "--db", str(db))["overrides"]
    assert [(o["action"], o["note"], o["active"]) for o in listed] == [
        ("merge", "one household", True),
        ("split", None, True),
    ]
    # Undoing the merge brings the conflict back.
    cli_json("customers", "undo", str(listed[0]["override_id"]), "--db", str(db))
    assert cli_json("customers", "conflicts", "--db", str(db))["total"] == 1


def test_a_split_removes_earlier_merges_naming_the_identifier(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    cli_json("customers", "merge", "id:ZED1", "account:ZED1", "--db", str(db))
    assert len(set(_people(db, ("profile", "ZED1"), ("event", "e-2")))) == 1
    result = cli("customers", "split", "account:ZED1", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "Removed the earlier merges naming it: 1" in result.stdout
    assert len(set(_people(db, ("profile", "ZED1"), ("event", "e-2")))) == 2


def test_new_loads_are_resolved_incrementally_and_person_ids_are_stable(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    ann = person_of(db, "profile", "C1")
    # A later chat carries the customer id and a new mobile; a call from that mobile follows.
    more = [
        chat("chat-9", "2026-03-09T10:00:00+00:00", {"id": "C1", "phone": "+447700900555"}),
        {**RECORDS[4], "id": "call-9", "customer": {"phone": "07700 900555"}, "started_at": "2026-03-09T11:00:00Z"},
    ]
    load(db, tmp_path, more, name="more.jsonl")
    assert _people(db, ("interaction", "chat-9"), ("interaction", "call-9")) == [ann, ann]
    again = cli_json("customers", "resolve", "--db", str(db))
    assert (again["mode"], again["records_read"], again["records_placed"]) == ("incremental", 0, 0)
    full = cli_json("customers", "resolve", "--full", "--db", str(db))
    assert full["records_read"] == full["records"] + full["unplaced"]
    assert person_of(db, "profile", "C1") == ann


def test_the_phone_region_is_kept_and_checked(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    bad = cli("customers", "resolve", "--phone-region", "XX", "--db", str(db))
    assert bad.exit_code == 2 and "unknown phone region 'XX'" in bad.output
    us = cli_json("customers", "resolve", "--phone-region", "us", "--db", str(db))
    assert (us["phone_region"], us["mode"]) == ("US", "full")
    # "07700 900123" is no US number: the profile's phone no longer links the call written +44.
    assert person_of(db, "profile", "C1") != person_of(db, "interaction", "call-1")
    assert cli_json("customers", "resolve", "--db", str(db))["phone_region"] == "US"


def test_records_taken_in_by_a_quarantine_retry_are_resolved(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    path = write_jsonl(tmp_path / "bad.jsonl", ['{"kind": "event", "id": "e-7", "customer": {"id": "C7"}}'])
    assert cli("ingest", str(path), "--db", str(db), "--no-redact").exit_code == 0
    fixed = write_jsonl(
        tmp_path / "fix.json",
        ['{"kind": "event", "id": "e-7", "customer": {"id": "C7"}, "at": "2026-03-02T08:00:00Z", "type": "login"}'],
    )
    result = cli("quarantine", "retry", "1", "--with", str(fixed), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert person_of(db, "event", "e-7") is not None


def _snapshot(db: Path) -> set[tuple[str, str, int]]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            (k, r, int(p))
            for k, r, p in con.execute("SELECT record_kind, record_id, person_id FROM record_persons").fetchall()
        }
    finally:
        con.close()


def test_incremental_resolution_ends_where_a_full_one_does(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, tmp_path)
    cli_json("customers", "split", "phone:07700 900123", "--db", str(db))
    # Another load joins the household's phone to C2 through a chat carrying both; C3 leaves.
    more = [
        chat("chat-8", "2026-03-08T10:00:00+00:00", {"id": "C9", "email": "cara@example.com"}),
        {**RECORDS[2], "phones": [], "emails": []},
    ]
    load(db, tmp_path, more, name="more.jsonl")
    cli_json("customers", "merge", "id:C9", "annlee", "--db", str(db))
    incremental = _snapshot(db)
    cli_json("customers", "resolve", "--full", "--db", str(db))
    assert _snapshot(db) == incremental
