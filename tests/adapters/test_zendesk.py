"""Zendesk adapter: ticket exports, comments, ratings and users into a real warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from signalroom.ingest.adapters.base import Candidate, ReadLimits, Skipped
from signalroom.ingest.adapters.zendesk import ZendeskAdapter
from signalroom.ingest.loader import Loader, detect_format
from signalroom.store import Store
from support import rows
from support import stored_interaction as interaction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ZENDESK = FIXTURES / "zendesk"


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[Store, dict[str, Any], Path]]:
    folder = tmp_path / "zendesk"
    shutil.copytree(ZENDESK, folder)
    store = Store.open(tmp_path / "warehouse.duckdb")
    (summary,) = Loader(store).ingest([folder], fmt="zendesk", source="zendesk")
    yield store, summary.to_dict(), folder
    store.close()


def turns(store: Store, ident: str) -> list[tuple[Any, ...]]:
    return [
        (speaker, text, orjson.loads(attrs)["public"])
        for speaker, text, attrs in rows(
            store,
            "SELECT speaker, text, attributes FROM turns WHERE interaction_id = ? ORDER BY seq",
            [ident],
        )
    ]


def test_summary(loaded: tuple[Store, dict[str, Any], Path]) -> None:
    store, summary, _ = loaded
    assert summary["status"] == "completed"
    # tickets 101 (latest version), 102, 103, 201, 202, 204; surveys 9102, 9104; event 9103;
    # customers 5010, 5011
    assert summary["inserted"] == 11
    assert summary["quarantined"] == 8
    # ticket 101's older copy in the incremental page; the comments merged into tickets' turns
    assert summary["skipped"] == {
        "merged into the turns of its ticket": 3,
        "superseded by a newer version of the ticket": 1,
    }
    assert rows(store, "SELECT id FROM interactions ORDER BY id") == [
        ("101",),
        ("102",),
        ("103",),
        ("201",),
        ("202",),
        ("204",),
    ]


def test_duplicate_ticket_keeps_the_latest_version_with_comments_file(
    loaded: tuple[Store, dict[str, Any], Path],
) -> None:
    store, _, _ = loaded
    rec = interaction(store, "101")
    assert rec["channel"] == "email"
    assert rec["started_at"] == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert rec["ended_at"] == datetime(2026, 1, 6, 16, 45, tzinfo=UTC)  # solved, no solved_at: updated_at
    assert rec["resolved"] is True
    assert (rec["customer_id"], rec["customer_email"], rec["customer_account"], rec["customer_name"]) == (
        "5001",
        "lin@example.net",
        "crm-5001",
        "Lin Wu",
    )
    assert (rec["agent_id"], rec["agent_name"], rec["queue"]) == ("6001", "Priya Agent", "Billing")
    attrs = rec["attributes"]
    assert attrs["status"] == "solved"
    assert attrs["tags"] == ["billing", "invoice_sent"]
    assert attrs["custom_fields"] == {"360001": "invoice"}
    assert attrs["via_channel"] == "email"
    assert attrs["satisfaction_score"] == "offered"
    assert rows(store, "SELECT count(*) FROM surveys WHERE interaction_id = '101'")[0][0] == 0
    assert turns(store, "101") == [
        ("customer", "Could you send me a copy of my January invoice?", True),
        ("agent", "Customer is on the legacy plan, check the archive.", False),
        ("agent", "Here is your invoice, attached.", True),
    ]


def test_page_tickets(loaded: tuple[Store, dict[str, Any], Path]) -> None:
    store, _, _ = loaded
    chat = interaction(store, "102")
    assert (chat["channel"], chat["customer_phone"], chat["queue"], chat["resolved"]) == (
        "chat",
        "+15555550102",
        "Live chat",
        True,
    )
    assert chat["utc_offset_minutes"] == 60
    assert rows(store, "SELECT id, csat, comment, embedded FROM surveys WHERE interaction_id = '102'") == [
        ("102/survey", 5, "Quick and friendly", True)
    ]
    web = interaction(store, "103")
    assert (web["channel"], web["attributes"]["via_channel"], web["resolved"], web["agent_id"]) == (
        "email",
        "web",
        False,
        None,
    )


def test_full_export_with_embedded_comments_and_ratings(loaded: tuple[Store, dict[str, Any], Path]) -> None:
    store, _, _ = loaded
    closed = interaction(store, "201")
    assert closed["ended_at"] == datetime(2026, 1, 11, 9, 30, tzinfo=UTC)  # metric_set.solved_at
    assert (closed["customer_email"], closed["customer_name"], closed["queue"]) == (
        "noor@example.org",
        "Noor Haddad",
        "8001",  # users from users.json; no group names in this file
    )
    assert turns(store, "201") == [
        ("customer", "The app crashes on start.", True),
        ("agent", "Escalated to engineering.", False),
        ("agent", "Fixed in version 4.2, please update.", True),
    ]
    assert rows(store, "SELECT csat, comment FROM surveys WHERE id = '201/survey'") == [(1, "Took two days")]
    whatsapp = interaction(store, "202")
    assert (whatsapp["channel"], whatsapp["attributes"]["via_channel"], whatsapp["resolved"]) == (
        "messaging",
        "whatsapp",
        False,
    )
    assert turns(store, "202")[1] == ("system", "Conversation transferred to an agent", True)
    sms = interaction(store, "204")
    assert sms["channel"] == "sms"
    # its rating is in the ratings file: stored once, as the standalone survey
    assert rows(store, "SELECT id, embedded, csat, comment FROM surveys WHERE interaction_id = '204'") == [
        ("9102", False, 5, "Thanks!")
    ]


def test_ratings_and_users_files(loaded: tuple[Store, dict[str, Any], Path]) -> None:
    store, _, _ = loaded
    assert rows(store, "SELECT id, interaction_id, csat, comment, occurred_at FROM surveys WHERE id = '9104'") == [
        ("9104", "300", 4, None, datetime(2026, 1, 15, 10, 0, tzinfo=UTC))
    ]
    assert rows(store, "SELECT id, type, customer_id, properties FROM events") == [
        ("satisfaction-rating-9103", "survey_offered", "5010", '{"ticket_id":201,"rating_id":9103}')
    ]
    assert rows(store, "SELECT id, name FROM customers ORDER BY id") == [
        ("5010", "Noor Haddad"),
        ("5011", "Tomas Silva"),
    ]
    assert rows(store, "SELECT kind, value FROM customer_identifiers WHERE customer_id = '5011' ORDER BY kind") == [
        ("account", "crm-5011"),
        ("id", "5011"),
        ("phone", "+351210000011"),
    ]


def test_bad_records_are_quarantined_with_the_field(loaded: tuple[Store, dict[str, Any], Path]) -> None:
    store, _, _ = loaded
    found = {
        (Path(file).name, location): (code, field, reason)
        for file, location, code, field, reason in rows(
            store,
            "SELECT file, location, reason_code, field, reason FROM quarantine WHERE status = 'pending'",
        )
    }
    assert found[("incremental_page.json", "$.tickets[4]")][:2] == ("unknown_channel", "via.channel")
    assert "'carrier_pigeon'" in found[("incremental_page.json", "$.tickets[4]")][2]
    assert found[("incremental_page.json", "$.tickets[5]")][:2] == ("missing_field", "requester_id")
    assert found[("full_export.ndjson", "line 3")][:2] == ("missing_field", "comments[1].created_at")
    assert found[("full_export.ndjson", "line 5")][0] == "malformed_json"
    assert found[("ticket_101_comments.json", "$.comments[3]")][:2] == ("missing_field", "comments[3].body")
    code, field, reason = found[("comments_orphan.json", "$.comments[0]")]
    assert (code, field) == ("missing_ticket", "ticket_id") and "ticket 999" in reason
    assert found[("satisfaction_ratings.json", "$.satisfaction_ratings[3]")][:2] == (
        "missing_field",
        "ticket_id",
    )
    assert found[("users.json", "$.users[3]")][:2] == ("wrong_type", "id")
    assert len(found) == 8


def test_reingest_is_unchanged(loaded: tuple[Store, dict[str, Any], Path]) -> None:
    store, _, folder = loaded
    (again,) = Loader(store).ingest([folder], fmt="auto", source="zendesk")
    assert again.format == "zendesk"
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 11)
    assert rows(store, "SELECT count(*) FROM interactions")[0][0] == 6
    assert rows(store, "SELECT count(*) FROM turns")[0][0] == 8
    assert rows(store, "SELECT count(*) FROM quarantine")[0][0] == 8


def test_comments_file_ticket_id_from_the_envelope_and_the_name(tmp_path: Path) -> None:
    ticket = {
        "id": 42,
        "via": {"channel": "email"},
        "created_at": "2026-01-01T00:00:00Z",
        "status": "open",
        "requester_id": 1,
    }
    comment = {"id": 7, "author_id": 1, "body": "hi", "public": True, "created_at": "2026-01-01T00:00:00Z"}
    (tmp_path / "tickets.json").write_bytes(orjson.dumps({"tickets": [ticket]}))
    (tmp_path / "export-42-comments.json").write_bytes(orjson.dumps({"comments": [comment]}))
    (tmp_path / "more.json").write_bytes(orjson.dumps({"ticket_id": 42, "comments": [{**comment, "id": 8}]}))
    adapter = ZendeskAdapter()
    limits = ReadLimits()
    items = [i for p in adapter.plan(sorted(tmp_path.iterdir()), limits) for i in adapter.read(p, limits)]
    assert [type(i) for i in items] == [Candidate, Skipped, Skipped]
    assert [t["comment_id"] for t in items[0].payload["turns"]] == [7, 8]
    assert items[0].payload["turns"][0]["speaker"] == "customer"
    assert {(Path(i.file).name, i.reason, i.detail) for i in items[1:]} == {
        ("export-42-comments.json", "merged into the turns of its ticket", "ticket 42"),
        ("more.json", "merged into the turns of its ticket", "ticket 42"),
    }


def test_older_ticket_versions_and_repeated_users_are_skipped(tmp_path: Path) -> None:
    def ticket(updated: str, subject: str) -> dict[str, Any]:
        return {
            "id": 42,
            "via": {"channel": "email"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": updated,
            "status": "open",
            "requester_id": 1,
            "subject": subject,
        }

    pages = [
        {"tickets": [ticket("2026-01-02T00:00:00Z", "old"), ticket("2026-01-03T00:00:00Z", "new")]},
        {"tickets": [ticket("2026-01-03T00:00:00Z", "new again")]},
    ]
    (tmp_path / "tickets.jsonl").write_bytes(b"\n".join(orjson.dumps(p) for p in pages) + b"\n")
    user = {"id": 1, "url": "https://x.zendesk.com/api/v2/users/1.json", "name": "Ann", "role": "end-user"}
    (tmp_path / "users.json").write_bytes(orjson.dumps({"users": [user, user]}))
    adapter = ZendeskAdapter()
    limits = ReadLimits()
    items = [i for p in adapter.plan(sorted(tmp_path.iterdir()), limits) for i in adapter.read(p, limits)]
    got = [(Path(i.file).name, i.location, type(i).__name__, getattr(i, "reason", None)) for i in items]
    assert got == [
        ("tickets.jsonl", "line 1 $.tickets[0]", "Skipped", "superseded by a newer version of the ticket"),
        ("tickets.jsonl", "line 1 $.tickets[1]", "Skipped", "repeated by a later copy of the ticket"),
        ("tickets.jsonl", "line 2 $.tickets[0]", "Candidate", None),
        ("users.json", "$.users[0]", "Candidate", None),
        ("users.json", "$.users[1]", "Skipped", "repeated by an earlier copy of the user"),
    ]
    assert items[2].payload["attributes"]["subject"] == "new again"
    assert items[0].detail == "ticket 42: the version at line 2 $.tickets[0] was read"


def test_sniff_recognises_zendesk_files_only(tmp_path: Path) -> None:
    for path in ZENDESK.iterdir():
        assert ZendeskAdapter.sniff(path, path.read_bytes()[:65536]), path.name
        assert detect_format(path) == "zendesk", path.name
    for path in (FIXTURES / "genesys").iterdir():
        assert not ZendeskAdapter.sniff(path, path.read_bytes()[:65536]), path.name
    interchange = tmp_path / "records.jsonl"
    interchange.write_bytes(b'{"kind": "interaction", "requester_id": 1, "via": {}, "status": "open"}\n')
    assert not ZendeskAdapter.sniff(interchange, interchange.read_bytes())
