"""Genesys Cloud adapter: conversation details (+ STA transcripts) into a real warehouse."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from signalroom.ingest.adapters.base import ReadLimits, Rejected, registry
from signalroom.ingest.adapters.genesys import GenesysAdapter
from signalroom.ingest.loader import Loader, detect_format
from signalroom.store import Store
from support import rows
from support import stored_interaction as interaction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GENESYS = FIXTURES / "genesys"
VOICE = "c0a1f1e2-0000-4000-8000-000000000001"
CHAT = "c0a1f1e2-0000-4000-8000-000000000002"
EMAIL = "c0a1f1e2-0000-4000-8000-000000000003"


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[Store, list[dict[str, Any]], Path]]:
    folder = tmp_path / "genesys"
    shutil.copytree(GENESYS, folder)
    store = Store.open(tmp_path / "warehouse.duckdb")
    summaries = Loader(store).ingest([folder], fmt="genesys", source="genesys")
    yield store, [s.to_dict() for s in summaries], folder
    store.close()


def test_summary_counts(loaded: tuple[Store, list[dict[str, Any]], Path]) -> None:
    store, summaries, _ = loaded
    (summary,) = summaries
    assert summary["status"] == "completed"
    assert summary["inserted"] == 4  # 3 conversations in the page + 1 good line in the JSONL file
    assert summary["quarantined"] == 6
    # the voice call's transcript is merged into its interaction
    assert summary["skipped"] == {"merged into the interaction of its conversation": 1}
    assert rows(store, "SELECT count(*) FROM interactions")[0][0] == 4


def test_voice_call_with_ivr_hold_transfer_and_transcript(
    loaded: tuple[Store, list[dict[str, Any]], Path],
) -> None:
    store, _, _ = loaded
    rec = interaction(store, VOICE)
    assert rec["channel"] == "voice"
    assert rec["started_at"] == datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    assert rec["ended_at"] == datetime(2026, 2, 10, 9, 12, 30, tzinfo=UTC)
    assert rec["direction"] == "inbound"
    assert (rec["customer_id"], rec["customer_phone"], rec["customer_name"]) == (
        "ext-contact-77",
        "+441632960001",
        "Ada Byron",
    )
    # the agent who took the transfer and talked last is the main agent
    assert (rec["agent_id"], rec["agent_name"]) == ("u-alan", "Alan Turing")
    assert rec["queue"] == "Retention"  # named by the routing queues listing in the load
    assert rec["disposition"] == "Customer saved"
    assert rec["transferred"] is True
    attrs = rec["attributes"]
    assert attrs["queue_id"] == "q-retention"
    assert attrs["wrapup_code_id"] == "wc-saved"
    assert attrs["wrapup_note"] == "Offered loyalty discount"
    assert attrs["agent_ids"] == ["u-grace", "u-alan"]
    assert attrs["division_ids"] == ["d1v0-home"]
    assert attrs["metrics"]["tHeld"] == 90000
    assert attrs["metrics"]["tHandle"] == 715000
    assert attrs["metrics"]["nTransferred"] == 1
    assert {"purpose": "ivr", "name": "Main Menu IVR"} in attrs["automated_participants"]
    assert {"purpose": "flow", "name": "Main Menu"} in attrs["automated_participants"]
    events = rows(
        store,
        "SELECT type, offset_ms, attributes FROM call_events WHERE interaction_id = ? ORDER BY seq",
        [VOICE],
    )
    assert [(t, o) for t, o, _ in events] == [
        ("hold_start", 360000),
        ("transfer", 450000),
        ("hold_end", 450000),
    ]
    assert orjson.loads(events[1][2]) == {"disconnect_type": "transfer", "from_user_id": "u-grace"}
    turns = rows(
        store,
        "SELECT speaker, text, offset_ms, end_ms, occurred_at, attributes FROM turns "
        "WHERE interaction_id = ? ORDER BY seq",
        [VOICE],
    )
    assert [(s, t, o, e) for s, t, o, e, _, _ in turns] == [
        ("agent", "Hello, this is Alan from retention, how can I help?", 452000, 455500),
        ("customer", "I would like to cancel my contract.", 457000, 459500),
    ]  # the empty phrase is left out
    assert turns[0][4] == datetime(2026, 2, 10, 9, 7, 32, tzinfo=UTC)
    assert orjson.loads(turns[1][5]) == {
        "participant_purpose": "external",
        "confidence": 0.88,
        "stability": 100,
        "utterance_id": "utt-1",
        "communication_id": "s-agent-2",
    }


def test_chat_and_email(loaded: tuple[Store, list[dict[str, Any]], Path]) -> None:
    store, _, _ = loaded
    chat = interaction(store, CHAT)
    assert chat["channel"] == "chat"
    assert chat["utc_offset_minutes"] == 60
    assert (chat["customer_handle"], chat["customer_name"]) == ("visitor-5521", "Chat Visitor")
    assert (chat["agent_id"], chat["queue"], chat["disposition"], chat["transferred"]) == (
        "u-katherine",
        "q-web",
        "wc-resolved",
        False,
    )
    email = interaction(store, EMAIL)
    assert email["channel"] == "email"
    assert email["customer_email"] == "mary.jackson@example.org"
    assert email["ended_at"] is None and email["agent_id"] is None
    assert email["queue"] == "q-email"  # no name for it: the id is kept
    outbound = interaction(store, "ok-6")
    assert (outbound["direction"], outbound["customer_phone"]) == ("outbound", "+441632960123")


def test_bad_records_are_quarantined_with_the_field(loaded: tuple[Store, list[dict[str, Any]], Path]) -> None:
    store, _, _ = loaded
    found = {
        (Path(file).name, location): (code, field, reason)
        for file, location, code, field, reason in rows(
            store,
            "SELECT file, location, reason_code, field, reason FROM quarantine WHERE status = 'pending'",
        )
    }
    bad = "bad_conversations.jsonl"
    assert found[(bad, "line 1")][:2] == ("missing_field", "conversationStart")
    assert found[(bad, "line 2")][:2] == ("missing_customer", "participants[].purpose")
    assert found[(bad, "line 3")][:2] == ("unknown_channel", "participants[0].sessions[0].mediaType")
    assert "'cobrowse'" in found[(bad, "line 3")][2]
    assert found[(bad, "line 4")][:2] == ("timestamp_without_offset", "conversationStart")
    assert found[(bad, "line 5")][0] == "malformed_json"
    code, field, reason = found[("transcript_orphan.json", "$")]
    assert (code, field) == ("missing_conversation", "conversationId")
    assert "c0a1f1e2-0000-4000-8000-0000000000ff" in reason and "not in this load" in reason
    assert len(found) == 6
    raw = rows(store, "SELECT raw FROM quarantine WHERE location = 'line 3'")[0][0]
    assert orjson.loads(raw)["conversationId"] == "bad-3"


def test_reingest_is_unchanged(loaded: tuple[Store, list[dict[str, Any]], Path]) -> None:
    store, _, folder = loaded
    before = (
        rows(store, "SELECT count(*) FROM interactions")[0][0],
        rows(store, "SELECT count(*) FROM turns")[0][0],
    )
    (again,) = Loader(store).ingest([folder], fmt="auto", source="genesys")
    assert again.format == "genesys"
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 4)
    after = (
        rows(store, "SELECT count(*) FROM interactions")[0][0],
        rows(store, "SELECT count(*) FROM turns")[0][0],
    )
    assert before == after == (4, 2)
    assert rows(store, "SELECT count(*) FROM quarantine")[0][0] == 6


def test_transcript_whose_conversation_was_quarantined(tmp_path: Path) -> None:
    transcript = orjson.loads((GENESYS / "transcript_orphan.json").read_bytes())
    broken = {
        "conversationId": transcript["conversationId"],
        "conversationStart": "yesterday",
        "participants": [{"purpose": "customer", "sessions": [{"mediaType": "voice", "ani": "+15551230000"}]}],
    }
    (tmp_path / "details.json").write_bytes(orjson.dumps({"conversations": [broken], "totalHits": 1}))
    (tmp_path / "transcript.json").write_bytes(orjson.dumps(transcript))
    adapter = GenesysAdapter()
    limits = ReadLimits()
    items = [i for p in adapter.plan(sorted(tmp_path.iterdir()), limits) for i in adapter.read(p, limits)]
    assert [type(i) for i in items] == [Rejected, Rejected]
    assert items[0].code == "bad_timestamp" and items[0].field == "conversationStart"
    assert items[1].code == "missing_conversation" and "was quarantined" in items[1].reason


def test_sniff_recognises_genesys_files_only(tmp_path: Path) -> None:
    assert "genesys" in registry()
    for path in GENESYS.iterdir():
        head = path.read_bytes()[:65536]
        assert GenesysAdapter.sniff(path, head), path.name
        if path.name != "bad_conversations.jsonl":
            assert detect_format(path) == "genesys"
    for path in (FIXTURES / "zendesk").iterdir():
        assert not GenesysAdapter.sniff(path, path.read_bytes()[:65536]), path.name
    interchange = tmp_path / "records.jsonl"
    interchange.write_bytes(b'{"kind": "interaction", "id": "x", "conversationId": "c", "conversationStart": "t"}\n')
    assert not GenesysAdapter.sniff(interchange, interchange.read_bytes())
