"""Amazon Connect Contact Lens + contact records, through the loader into a real warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signalroom.ingest.adapters.base import Candidate, ReadLimits, Skipped
from signalroom.ingest.adapters.contact_lens import ContactLensAdapter
from signalroom.ingest.loader import Loader, detect_format
from signalroom.store import Store
from support import stored_interaction as interaction
from support import stored_turns as turns
from support import utc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = FIXTURES / "contact_lens"
A = "1f0c9a52-7b3e-4d61-9a0e-3c5d2e8b4a01"  # inbound call, transferred to B
B = "2a7d4e19-5c8f-4b20-8e13-6f9a0b1c2d02"  # the transfer; raw + redacted analysis files
C = "3c81f5a0-9d2e-4f37-b6a4-0e1d2c3b4a03"  # chat
D = "4d92a6b1-3e4f-4a58-9c6b-1f2e3d4c5b04"  # task, contact record only
E = "5ea3b7c2-8f1a-4b69-a7c8-2a3b4c5d6e05"  # analysis file without a contact record
G = "7ac5d9e4-2b3c-4d8b-89ea-4c5d6e7f8a07"  # analysis rejected, contact record kept
J = "a0f80c17-5e6f-40be-9c1d-7f8a9bacbd10"  # outbound, contact record in a JSON array


@pytest.fixture
def loaded(store: Store):
    (summary,) = Loader(store).ingest([ROOT], fmt="contact-lens", source="connect")
    return store, summary


def test_counts_and_rerun_is_unchanged(loaded):
    store, summary = loaded
    assert summary.status == "completed"
    assert summary.counts.inserted == 7
    assert summary.counts.quarantined == 5
    # B's raw analysis gives way to its redacted one; A's older contact record to its newer one; the
    # newest records of A, B and C are merged into their analyses.
    assert summary.to_dict()["skipped"] == {
        "merged into the analysis of its contact": 3,
        "superseded by a newer contact trace record": 1,
        "superseded by the redacted analysis": 1,
    }
    ids = {r[0] for r in store.connection.execute("SELECT id FROM interactions").fetchall()}
    assert ids == {A, B, C, D, E, G, J}
    (again,) = Loader(store).ingest([ROOT], fmt="contact-lens", source="connect")
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 7)
    assert again.counts.skipped == summary.counts.skipped
    assert store.connection.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 5
    assert store.connection.execute("SELECT count(*) FROM turns").fetchone()[0] == 4 + 5 + 3 + 2


def test_voice_analysis_merged_with_its_contact_record(loaded):
    store, _ = loaded
    rec = interaction(store, A)
    assert rec["channel"] == "voice"
    assert rec["started_at"] == utc(2026, 3, 2, 9, 15)
    assert rec["ended_at"] == utc(2026, 3, 2, 9, 19, 10)
    assert rec["customer_phone"] == "+14155550142"
    assert (rec["agent_id"], rec["agent_team"], rec["queue"]) == ("alice.moreau", "Billing Tier 1", "Billing")
    assert (rec["direction"], rec["parent_id"], rec["transferred"], rec["language"]) == (
        "inbound",
        None,
        True,
        "en-US",
    )
    attrs = rec["attributes"]
    assert attrs["categories"] == ["billing-dispute"]
    assert attrs["sentiment_overall"] == {"agent": 1.5, "customer": -1.2}
    assert attrs["next_contact_id"] == B
    # The newer of the two contact records of A was used.
    assert attrs["after_contact_work_s"] == 45
    assert attrs["agent_hierarchy"] == ["EMEA", "Lisbon", "Billing Tier 1"]
    assert attrs["contact_attributes"] == {"accountTier": "gold"}
    assert attrs["transcript_offset_ms"] == 40_000
    assert (attrs["talk_time_ms"]["total"], attrs["non_talk_time_ms"], attrs["interruptions_count"]) == (
        19300,
        3200,
        1,
    )
    assert attrs["summary"].startswith("The customer reported a duplicate charge")
    got = turns(store, A)
    # Offsets are from the start of the contact: the recording starts when the agent connects (40 s).
    assert [(t[0], t[3], t[4]) for t in got] == [
        ("customer", 40_000, 44_200),
        ("agent", 44_600, 49_800),
        ("customer", 50_400, 55_100),
        ("agent", 55_800, 61_000),
    ]
    assert got[0][1] == "Hi, I was charged twice for my March invoice."
    first = json.loads(got[0][5])
    assert first["sentiment"] == "NEGATIVE"
    assert first["loudness"] == [72.1, 75.4, 70.2]
    assert first["issues_detected"] == [{"CharacterOffsets": {"BeginOffsetChar": 8, "EndOffsetChar": 44}}]
    assert "redaction" in json.loads(got[2][5])
    events = store.connection.execute(
        "SELECT type, offset_ms, attributes FROM call_events WHERE interaction_id = ? ORDER BY seq", [A]
    ).fetchall()
    assert [(e[0], e[1]) for e in events] == [("interruption", 49_500), ("non_talk_time", 61_000)]
    assert json.loads(events[0][2]) == {"end_ms": 50_100, "duration_ms": 600, "by": "customer"}


def test_transfer_chains_and_the_redacted_file_wins(loaded):
    store, _ = loaded
    rec = interaction(store, B)
    assert rec["parent_id"] == A
    assert rec["attributes"]["initial_contact_id"] == A
    assert rec["attributes"]["initiation_method"] == "TRANSFER"
    assert (rec["agent_id"], rec["queue"], rec["direction"]) == ("bruno.keller", "Retention", None)
    assert rec["attributes"]["content_metadata"] == {"Output": "Redacted"}
    assert rec["attributes"]["skipped_analysis"][0]["Feature"] == "CONTACT_SUMMARY"
    got = turns(store, B)
    assert [t[0] for t in got] == ["system", "agent", "customer", "agent", "customer"]
    assert got[3][1] == "Yes, the refund of [PII] will reach your card within five days."
    assert got[0][3] == 45_000


def test_chat_analysis(loaded):
    store, _ = loaded
    rec = interaction(store, C)
    assert (rec["channel"], rec["direction"], rec["queue"], rec["agent_id"]) == (
        "chat",
        "inbound",
        "Web Chat",
        "carla.dias",
    )
    assert rec["agent_name"] == "Carla"
    assert (rec["customer_id"], rec["customer_name"]) == (f"connect-contact:{C}", "Dana")
    assert rec["attributes"]["customer_anonymous"] is True
    got = turns(store, C)
    assert [(t[0], t[2], t[3]) for t in got] == [
        ("customer", utc(2026, 3, 2, 10, 0, 25, 500000), 25_500),
        ("agent", utc(2026, 3, 2, 10, 0, 41, 250000), 41_250),
        ("customer", utc(2026, 3, 2, 10, 1, 2), 62_000),
    ]
    events = store.connection.execute(
        "SELECT type, offset_ms FROM call_events WHERE interaction_id = ? ORDER BY seq", [C]
    ).fetchall()
    assert events == [("participant_joined", 20_000), ("participant_left", 110_000)]


def test_contact_record_only_and_task_channel(loaded):
    store, _ = loaded
    task = interaction(store, D)
    assert (task["channel"], task["turn_count"], task["queue"]) == ("messaging", 0, "Back Office")
    assert task["attributes"]["connect_channel"] == "TASK"
    assert task["attributes"]["contact_attributes"] == {"caseId": "CASE-77"}
    outbound = interaction(store, J)
    assert (outbound["direction"], outbound["customer_phone"], outbound["started_at"]) == (
        "outbound",
        "+447700900123",
        utc(2026, 3, 4, 8, 30),
    )
    # G's analysis file is rejected; its contact record still becomes an interaction.
    kept = interaction(store, G)
    assert (kept["turn_count"], kept["queue"], kept["customer_phone"]) == (0, "Retention", "+351912345678")


def test_analysis_without_contact_record_estimates_the_start(loaded):
    store, _ = loaded
    rec = interaction(store, E)
    # File name time 14:05:12 minus the 65 s conversation.
    assert rec["started_at"] == utc(2026, 3, 3, 14, 4, 7)
    assert rec["ended_at"] == utc(2026, 3, 3, 14, 5, 12)
    assert rec["attributes"]["started_at_estimated"] is True
    assert rec["agent_id"] is None
    assert [(t[0], t[3]) for t in turns(store, E)] == [("agent", 0), ("customer", 3400)]


def test_bad_records_are_quarantined_with_the_field(loaded):
    store, _ = loaded
    rows = store.connection.execute(
        "SELECT file, location, reason_code, field, reason FROM quarantine ORDER BY file, location"
    ).fetchall()
    got = {(Path(r[0]).name, r[1], r[2], r[3]) for r in rows}
    assert got == {
        (
            "6fb4c8d3-1a2b-4c7a-b8d9-3b4c5d6e7f06_analysis_2026-03-03T15_00_00Z.json",
            "file",
            "malformed_json",
            None,
        ),
        (f"{G}_analysis_2026-03-03T16_04_20Z.json", "$", "unknown_speaker", "Transcript[1].ParticipantId"),
        ("orphan-analysis.json", "$", "missing_start_time", "InitiationTimestamp"),
        ("2026-03-02-contact-records.jsonl", "line 6", "malformed_json", None),
        ("2026-03-02-contact-records.jsonl", "line 8", "missing_field", "InitiationTimestamp"),
    }
    reasons = {r[2]: r[4] for r in rows}
    assert "0000-not-a-participant" in reasons["unknown_speaker"]
    assert "_analysis_<timestamp>.json" in reasons["missing_start_time"]


def test_customer_attribute_option(store: Store):
    Loader(store).ingest(
        [ROOT], fmt="contact-lens", source="connect", adapter_options={"customer_attribute": "customerId"}
    )
    rec = interaction(store, C)
    assert rec["customer_id"] == "CUST-0042"
    assert "customer_anonymous" not in rec["attributes"]


def test_analysis_file_name_forms():
    adapter = ContactLensAdapter()
    doc = json.loads((ROOT / f"Analysis/Voice/2026/03/03/{E}_analysis_2026-03-03T14_05_12Z.json").read_text())
    (item,) = adapter.convert(doc, file=f"/x/{E}_analysis_2026-03-03T14:05:12Z.json", location="$", line=None, raw="{}")
    assert item.payload["started_at"] == utc(2026, 3, 3, 14, 4, 7)


def test_sniff():
    for path in sorted(ROOT.rglob("*.json*")):
        assert detect_format(path) == "contact-lens", path
    for path in sorted((FIXTURES / "ccai").rglob("*.json*")):
        assert not ContactLensAdapter.sniff(path, path.read_bytes()[:65536]), path
    line = b'{"kind": "interaction", "id": "x", "ContactId": "c", "InitiationMethod": "INBOUND"}\n'
    assert not ContactLensAdapter.sniff(Path("records.jsonl"), line)


def _items(adapter: ContactLensAdapter, paths: list[Path]) -> list:
    limits = ReadLimits()
    return [item for path in adapter.plan(paths, limits) for item in adapter.read(path, limits)]


def test_superseded_records_are_skipped_with_what_replaced_them():
    ctr = ROOT / "ctr" / "2026-03-02-contact-records.jsonl"
    raw = ROOT / f"Analysis/Voice/2026/03/02/{B}_analysis_2026-03-02T09_24_20Z.json"
    redacted = ROOT / f"Analysis/Voice/Redacted/2026/03/02/{B}_analysis_redacted_2026-03-02T09_24_20Z.json"
    analysis_a = ROOT / f"Analysis/Voice/2026/03/02/{A}_analysis_2026-03-02T09_19_30Z.json"
    items = _items(ContactLensAdapter(), [raw, redacted, analysis_a, ctr])
    skipped = {(Path(i.file).name, i.location): (i.reason, i.detail) for i in items if isinstance(i, Skipped)}
    assert skipped == {
        (raw.name, "$"): ("superseded by the redacted analysis", f"contact {B!r}: {redacted} is loaded"),
        (ctr.name, "line 1"): (
            "superseded by a newer contact trace record",
            f"contact {A!r}: the record at line 4 is loaded",
        ),
        (ctr.name, "line 2"): ("merged into the analysis of its contact", f"contact {B!r}"),
        (ctr.name, "line 4"): ("merged into the analysis of its contact", f"contact {A!r}"),
    }
    # The original wins when asked for.
    items = _items(ContactLensAdapter(prefer_redacted=False), [raw, redacted])
    assert [(type(i), Path(i.file).name) for i in items] == [(Candidate, raw.name), (Skipped, redacted.name)]
    assert items[1].reason == "superseded by the original analysis (prefer_redacted is off)"


def test_contact_record_versions_without_an_analysis(tmp_path: Path):
    def ctr(updated: str, queue: str) -> dict:
        return {
            "ContactId": D,
            "Channel": "VOICE",
            "InitiationMethod": "INBOUND",
            "InitiationTimestamp": "2026-03-02T11:00:00Z",
            "LastUpdateTimestamp": updated,
            "Queue": {"Name": queue},
        }

    # The newest version is in the middle of one file; a repeat of an old one is in another file.
    first = tmp_path / "a.jsonl"
    first.write_text(
        "\n".join(
            json.dumps(r)
            for r in (
                ctr("2026-03-02T11:05:00Z", "v1"),
                ctr("2026-03-02T12:05:00+01:00", "v3"),  # 11:05 UTC is older than 11:30 UTC
                ctr("2026-03-02T11:30:00Z", "v2"),
            )
        )
        + "\n"
    )
    second = tmp_path / "b.json"
    second.write_text(json.dumps([ctr("2026-03-02T11:30:00Z", "v2 again"), ctr("2026-03-02T10:00:00Z", "v0")]))
    items = _items(ContactLensAdapter(), [first, second])
    got = [(Path(i.file).name, i.location, type(i).__name__, getattr(i, "reason", None)) for i in items]
    assert got == [
        ("a.jsonl", "line 1", "Skipped", "superseded by a newer contact trace record"),
        ("a.jsonl", "line 2", "Skipped", "superseded by a newer contact trace record"),
        ("a.jsonl", "line 3", "Skipped", "repeated by a later contact trace record"),
        ("b.json", "$[0]", "Candidate", None),
        ("b.json", "$[1]", "Skipped", "superseded by a newer contact trace record"),
    ]
    assert items[3].payload["queue"] == "v2 again"
    assert items[0].detail == f"contact {D!r}: the record at {second} $[0] is loaded"


def test_contact_record_versions_through_the_loader(store: Store, tmp_path: Path):
    lines = (ROOT / "ctr" / "2026-03-02-contact-records.jsonl").read_text().splitlines()
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join([lines[0], lines[3], lines[4]]) + "\n")
    (summary,) = Loader(store).ingest([records], fmt="contact-lens", source="connect")
    # A's two versions, without its analysis: the newer one is loaded, the older skipped (not a duplicate_id).
    assert (summary.counts.inserted, summary.counts.quarantined) == (2, 0)
    assert summary.to_dict()["skipped"] == {"superseded by a newer contact trace record": 1}
    assert interaction(store, A)["attributes"]["after_contact_work_s"] == 45
