"""Google CCAI Insights conversations and chat transcript uploads, through the loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signalroom.ingest.adapters.ccai import CcaiAdapter
from signalroom.ingest.loader import Loader, detect_format
from signalroom.store import Store
from support import stored_interaction as interaction
from support import stored_turns as turns
from support import utc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = FIXTURES / "ccai"


@pytest.fixture
def loaded(store: Store):
    (summary,) = Loader(store).ingest([ROOT], fmt="ccai", source="insights")
    return store, summary


def test_counts_and_rerun_is_unchanged(loaded):
    store, summary = loaded
    assert summary.status == "completed"
    assert (summary.records_read, summary.counts.inserted, summary.counts.quarantined) == (12, 6, 6)
    (again,) = Loader(store).ingest([ROOT], fmt="ccai", source="insights")
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 6)
    assert store.connection.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 6


def test_voice_conversation(loaded):
    store, _ = loaded
    rec = interaction(store, "voice-7f3a21")
    assert rec["channel"] == "voice"
    assert rec["started_at"] == utc(2026, 3, 5, 14, 0, 0, 250000)
    assert rec["ended_at"] == utc(2026, 3, 5, 14, 3, 4, 750000)  # + "184.500s"
    assert (rec["agent_id"], rec["agent_name"], rec["agent_team"]) == (
        "agent-417",
        "Priya Natarajan",
        "Tier 2 Internet",
    )
    assert (rec["customer_id"], rec["disposition"], rec["language"]) == (
        "cust-88412",
        "line-test-scheduled",
        "en-US",
    )
    attrs = rec["attributes"]
    assert attrs["resource_name"] == "projects/acme-cc/locations/us-central1/conversations/voice-7f3a21"
    assert attrs["labels"] == {"crm_customer": "CUST-0042", "campaign": "spring-renewal"}
    assert (attrs["wait_ms"], attrs["menu_path"], attrs["silence_ms"]) == (
        35_000,
        "main>internet>outage",
        4200,
    )
    assert attrs["issues"] == [{"name": "Connectivity drops", "score": 0.91}]
    assert attrs["phrase_matchers"] == ["Agent apology"]
    assert attrs["sentiments"]["customer"] == {"magnitude": 0.8, "score": -0.4}
    got = turns(store, "voice-7f3a21")
    # Segment 1 has no role: channelTag 1 is callMetadata.customerChannel.
    assert [(t[0], t[3], t[4]) for t in got] == [
        ("agent", 400, 2600),
        ("customer", 3100, 5800),
        ("agent", 6200, 8600),
        ("customer", 12800, 13900),
    ]
    assert got[1][1] == "Hi, my router keeps dropping the connection."
    assert got[0][2] == utc(2026, 3, 5, 14, 0, 0, 650000)
    assert json.loads(got[1][5]) == {
        "confidence": 0.91,
        "language_code": "en-US",
        "channel_tag": 1,
        "sentiment": {"magnitude": 0.7, "score": -0.6},
    }
    survey = store.connection.execute("SELECT csat FROM surveys WHERE interaction_id = 'voice-7f3a21'").fetchone()
    assert survey == (4,)
    events = store.connection.execute(
        "SELECT type, offset_ms FROM call_events WHERE interaction_id = 'voice-7f3a21' ORDER BY seq"
    ).fetchall()
    assert events == [("interruption", 3100), ("silence", 8400)]


def test_chat_conversations_from_json_lines(loaded):
    store, _ = loaded
    rec = interaction(store, "chat-2b9c44")
    assert (rec["channel"], rec["customer_id"], rec["agent_id"]) == ("chat", "u-5f1e9c", "agent-233")
    assert rec["ended_at"] == utc(2026, 3, 6, 9, 31, 35)
    # 9 is no 1-5 rating: kept as an attribute, not a CSAT.
    assert rec["attributes"]["customer_satisfaction_rating"] == 9
    got = turns(store, "chat-2b9c44")
    assert [(t[0], t[3]) for t in got] == [
        ("bot", 1200),
        ("customer", 9750),
        ("bot", 11000),
        ("agent", 40000),
        ("customer", 65500),
    ]
    assert got[4][2] == utc(2026, 3, 6, 9, 31, 5, 500000)
    basic = interaction(store, "chat-2b9c45")
    assert (basic["turn_count"], basic["customer_id"]) == (0, "ccai-conversation:chat-2b9c45")
    assert basic["attributes"]["customer_anonymous"] is True
    listed = interaction(store, "voice-7f3a30")
    assert [(t[0], t[1]) for t in turns(store, "voice-7f3a30")] == [
        ("agent", "Acme support."),
        ("customer", "My bill is wrong."),
    ]
    assert listed["started_at"] == utc(2026, 3, 7, 8, 0)


def test_entries_upload(loaded):
    store, _ = loaded
    rec = interaction(store, "chat-9d41e0")
    assert (rec["channel"], rec["customer_id"], rec["agent_id"]) == ("chat", "CUST-0042", "2")
    assert (rec["started_at"], rec["ended_at"]) == (
        utc(2026, 3, 6, 10, 0),
        utc(2026, 3, 6, 10, 1, 20, 250000),
    )
    assert rec["attributes"]["categories"] == ["Delivery", "Refunds"]
    assert [(t[0], t[3]) for t in turns(store, "chat-9d41e0")] == [
        ("customer", 0),
        ("agent", 14500),
        ("customer", 52000),
        ("agent", 80250),
    ]
    other = interaction(store, "chat-9d41e1")
    assert other["customer_id"] == "ccai-user:7"
    assert [t[0] for t in turns(store, "chat-9d41e1")] == ["customer", "bot"]


def test_customer_options(store: Store):
    Loader(store).ingest(
        [ROOT / "voice-conversation.json"],
        fmt="ccai",
        source="insights",
        adapter_options={"customer_label": "crm_customer"},
    )
    assert interaction(store, "voice-7f3a21")["customer_id"] == "CUST-0042"
    Loader(store).ingest(
        [ROOT / "uploads" / "chat-9d41e1.json"],
        fmt="ccai",
        source="insights",
        adapter_options={"customer_id": "CUST-0777"},
    )
    assert interaction(store, "chat-9d41e1")["customer_id"] == "CUST-0777"


def test_bad_records_are_quarantined_with_the_field(loaded):
    store, _ = loaded
    rows = store.connection.execute("SELECT file, location, reason_code, field FROM quarantine").fetchall()
    assert {(Path(r[0]).name, r[1], r[2], r[3]) for r in rows} == {
        ("bad-conversations.json", "$[0]", "missing_field", "name"),
        ("bad-conversations.json", "$[1]", "bad_duration", "duration"),
        ("bad-conversations.json", "$[2]", "timestamp_without_offset", "startTime"),
        (
            "chat-conversations.jsonl",
            "line 3",
            "unknown_speaker",
            "transcript.transcriptSegments[1].segmentParticipant.role",
        ),
        ("list-response.json", "$.conversations[1]", "unknown_channel", "medium"),
        (
            "list-response.json",
            "$.conversations[2]",
            "unknown_speaker",
            "transcript.transcriptSegments[0].segmentParticipant.role",
        ),
    }


def test_duration_strings():
    adapter = CcaiAdapter()
    conv = {
        "name": "projects/p/locations/l/conversations/x",
        "startTime": "2026-01-01T00:00:00.123456789Z",
        "duration": "0.000000001s",
    }
    (item,) = adapter.convert(conv, file="f.json", location="$", line=None, raw="{}")
    assert item.payload["started_at"] == utc(2026, 1, 1, 0, 0, 0, 123456)
    assert item.payload["ended_at"] == item.payload["started_at"]
    (bad,) = adapter.convert({**conv, "duration": "-1s"}, file="f.json", location="$", line=None, raw="{}")
    assert (bad.code, bad.field) == ("out_of_range", "duration")


def test_sniff():
    for path in sorted(ROOT.rglob("*.json*")):
        assert detect_format(path) == "ccai", path
    for path in sorted((FIXTURES / "contact_lens").rglob("*.json*")):
        assert not CcaiAdapter.sniff(path, path.read_bytes()[:65536]), path
    line = b'{"kind": "interaction", "id": "x", "transcriptSegments": []}\n'
    assert not CcaiAdapter.sniff(Path("records.jsonl"), line)
