"""The utterance-csv adapter, end to end: CSV files → Loader → a real DuckDB warehouse."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from signalroom.ingest.adapters.base import ReadLimits
from signalroom.ingest.adapters.utterance_csv import UtteranceCsvAdapter
from signalroom.ingest.loader import IngestError, Loader, detect_format
from signalroom.ingest.retry import retry_entries
from signalroom.store import Store
from signalroom.store.reads import get_quarantine
from support import count, rows, table_counts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "utterance_csv"
SHARED_DATA = (Path(__file__).resolve().parents[2] / "../shared/data").resolve()
FMT = "utterance-csv"


def ingest(store: Store, path: Path, limits: ReadLimits | None = None, **options: Any):
    loader = Loader(store, limits=limits or ReadLimits())
    return loader.ingest([path], fmt=FMT, source="csv", adapter_options=options)[0]


def turns(store: Store, interaction_id: str) -> list[tuple[str, str]]:
    return [
        (speaker, text)
        for speaker, text in rows(
            store,
            "SELECT speaker, text FROM turns WHERE interaction_id = ? ORDER BY seq",
            [interaction_id],
        )
    ]


def quarantine(store: Store) -> list[tuple[Any, ...]]:
    return rows(store, "SELECT line, reason_code, field, reason, raw FROM quarantine ORDER BY line")


def attributes(store: Store, interaction_id: str) -> dict[str, Any]:
    raw = rows(store, "SELECT attributes FROM interactions WHERE id = ?", [interaction_id])[0][0]
    return orjson.loads(raw) if raw else {}


def test_default_headers_grouped_into_interactions(store: Store) -> None:
    summary = ingest(store, FIXTURES / "default_headers.csv")
    assert summary.counts.inserted == 2
    assert quarantine(store) == []
    assert turns(store, "chat-1") == [
        ("customer", "Hi, my card was declined\nin Spain."),
        ("agent", "Let me check that for you."),
        ("customer", 'Thanks, "quick" fix!'),
    ]
    assert turns(store, "chat-2") == [("bot", "Hello! How can I help?"), ("customer", "Where is my parcel?")]
    row = rows(
        store,
        "SELECT channel, started_at, ended_at, customer_id, agent_id, agent_name, queue, turn_count "
        "FROM interactions WHERE id = 'chat-1'",
    )[0]
    assert row[0] == "chat"
    assert row[1] == datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert row[2] == datetime(2026, 3, 2, 8, 16, 5, tzinfo=UTC)
    assert row[3:] == ("cus-1", "ag-7", "Sam", "cards", 3)
    # A column with one value per conversation is an interaction attribute, a varying one a turn's.
    assert attributes(store, "chat-1") == {"brand": "acme"}
    turn_attrs = [
        orjson.loads(a) if a else None
        for (a,) in rows(store, "SELECT attributes FROM turns WHERE interaction_id = 'chat-1' ORDER BY seq")
    ]
    assert turn_attrs == [{"sentiment": "negative"}, None, {"sentiment": "positive"}]
    assert rows(store, "SELECT agent_id FROM interactions WHERE id = 'chat-2'") == [(None,)]


def test_reingest_leaves_counts_unchanged(store: Store) -> None:
    ingest(store, FIXTURES / "default_headers.csv")
    ingest(store, FIXTURES / "bad_rows.csv")
    before = table_counts(store)
    again = ingest(store, FIXTURES / "default_headers.csv")
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 2)
    again = ingest(store, FIXTURES / "bad_rows.csv")
    assert (again.counts.inserted, again.counts.unchanged) == (0, 1)
    assert table_counts(store) == before


def test_custom_headers_need_a_mapping(store: Store) -> None:
    ingest(store, FIXTURES / "custom_headers.csv")
    assert count(store, "interactions") == 0
    [(line, code, _field, reason, raw)] = quarantine(store)
    assert (line, code) == (1, "missing_columns")
    assert "'Ticket Ref', 'Who', 'Said', 'When', 'Client No', 'Mood'" in reason
    assert "--column conversation_id=COLUMN --column speaker=COLUMN --column text=COLUMN" in reason
    assert raw.startswith("Ticket Ref,Who")

    columns = {
        "conversation_id": "Ticket Ref",
        "speaker": "who",  # matched case-insensitively
        "text": "Said",
        "timestamp": "When",
        "customer_id": "Client No",
    }
    summary = ingest(
        store,
        FIXTURES / "custom_headers.csv",
        columns=columns,
        speakers={"Kunde": "customer", "berater": "agent"},
    )
    assert summary.counts.inserted == 2
    assert turns(store, "T-100") == [
        ("customer", "Mein Paket ist nicht angekommen."),
        ("agent", "Ich sehe nach."),
    ]
    assert rows(store, "SELECT customer_id FROM interactions ORDER BY id") == [("K-9",), ("K-10",)]
    assert attributes(store, "T-101") == {"Mood": "calm"}
    # the earlier header rejection is settled by the load that read the file properly
    assert rows(store, "SELECT status FROM quarantine") == [("resolved",)]


def test_semicolon_delimited_voice_calls(store: Store) -> None:
    for delimiter in (None, ";"):
        ingest(store, FIXTURES / "semicolon.csv", channel="voice", delimiter=delimiter)
    assert quarantine(store) == []
    assert turns(store, "call-7") == [
        ("agent", "Thanks for calling, this call may be recorded."),
        ("customer", "Hi, yes; my card, it was declined."),
        ("agent", "I can fix that."),
    ]
    assert rows(
        store,
        "SELECT channel, customer_phone, direction, started_at, ended_at FROM interactions",
    ) == [
        (
            "voice",
            "+447700900123",
            "inbound",
            datetime(2026, 3, 2, 8, 15, tzinfo=UTC),
            datetime(2026, 3, 2, 8, 15, 7, tzinfo=UTC),
        ),
    ]
    assert rows(store, "SELECT offset_ms, end_ms FROM turns ORDER BY seq") == [
        (0, 2500),
        (2600, 5000),
        (5200, 7000),
    ]


def test_wrong_delimiter_rejects_the_header(store: Store) -> None:
    ingest(store, FIXTURES / "semicolon.csv", delimiter="|")
    [(line, code, _f, reason, _raw)] = quarantine(store)
    assert (line, code) == (1, "missing_columns")
    assert "delimiter '|'" in reason


def test_non_contiguous_conversations_end_up_in_one_interaction(store: Store) -> None:
    summary = ingest(store, FIXTURES / "noncontiguous.csv")
    assert summary.counts.inserted == 3
    assert quarantine(store) == []
    assert turns(store, "a") == [("customer", "a1"), ("agent", "a2"), ("customer", "a3"), ("agent", "a4")]
    assert turns(store, "b") == [("customer", "b1"), ("agent", "b2")]
    assert turns(store, "c") == [("customer", "c1")]


def test_interleaved_file_spills_and_keeps_file_order(tmp_path: Path, store: Store) -> None:
    # 200 conversations, their rows round-robin: every conversation is split; no time column
    # orders them (started_at only), so turns must keep file order.
    path = tmp_path / "interleaved.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["conversation_id", "speaker", "text", "started_at"])
        for turn, conv in itertools.product(range(5), range(200)):
            writer.writerow(
                [
                    f"k{conv}",
                    "agent" if turn % 2 else "customer",
                    f"k{conv} t{turn}",
                    "2026-01-05T10:00:00+00:00",
                ]
            )
    summary = ingest(store, path)
    assert summary.counts.inserted == 200
    assert count(store, "turns") == 1000
    assert turns(store, "k137") == [("agent" if t % 2 else "customer", f"k137 t{t}") for t in range(5)]


def test_bad_rows_are_quarantined_with_the_column_named(store: Store) -> None:
    ingest(store, FIXTURES / "bad_rows.csv")
    found = {line: (code, fld, reason) for line, code, fld, reason, _raw in quarantine(store)}
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 10, 11, 12]
    assert found[3] == (
        "unknown_speaker",
        "speaker",
        "row 3: column \"speaker\": unknown speaker 'robot' (map it with --speaker robot=customer|agent|bot|system)",
    )
    assert found[4][:2] == ("bad_timestamp", "timestamp")
    assert found[4][2].startswith("row 4: column \"timestamp\": 'yesterday' is not an RFC 3339 timestamp")
    assert found[5] == ("ragged_row", None, "row 5: the row has 6 fields, the header has 5")
    assert found[6][0] == "invalid_utf8" and found[6][2].startswith("row 6: invalid UTF-8")
    assert found[7] == (
        "missing_value",
        "conversation_id",
        'row 7: column "conversation_id": empty conversation id',
    )
    assert found[8][0] == "timestamp_without_offset" and "--timezone" in found[8][2]
    assert found[10][:2] == ("unknown_speaker", "speaker")
    assert found[11][:2] == ("missing_start", "started_at")
    assert "conversation x3: no start time" in found[11][2]
    assert found[12][0] == "unclosed_quote"
    # the good rows still make x1, which records how many of its rows were quarantined
    assert turns(store, "x1") == [("customer", "hello"), ("agent", "bye")]
    assert attributes(store, "x1") == {"rows_quarantined": 5}
    assert rows(store, "SELECT id FROM interactions ORDER BY id") == [("x1",)]
    # the stored raw row carries the header, so a retry can read it on its own
    raw3 = rows(store, "SELECT raw FROM quarantine WHERE line = 3")[0][0]
    assert raw3 == "conversation_id,speaker,text,timestamp,customer_id\nx1,robot,beep,2026-03-02T09:00:05Z,c-1"


def test_retry_puts_a_fixed_row_back_in_its_conversation(store: Store) -> None:
    ingest(store, FIXTURES / "bad_rows.csv")
    (entry_id,) = rows(store, "SELECT id FROM quarantine WHERE line = 3")[0]
    entry = get_quarantine(store, entry_id)
    assert entry is not None
    still_bad = retry_entries(store, [entry])
    assert still_bad.resolved == 0
    fixed = entry.raw.replace("robot", "bot")
    report = retry_entries(store, [entry], replacement=fixed)
    assert report.resolved == 1, report.to_dict()
    assert turns(store, "x1") == [("customer", "hello"), ("bot", "beep"), ("agent", "bye")]
    assert attributes(store, "x1") == {"rows_quarantined": 4}


def test_retry_of_a_conversation_without_start_time(store: Store) -> None:
    ingest(store, FIXTURES / "bad_rows.csv")
    (entry_id,) = rows(store, "SELECT id FROM quarantine WHERE line = 11")[0]
    entry = get_quarantine(store, entry_id)
    assert entry is not None
    fixed = entry.raw.replace("no time,,", "no time,2026-03-02T12:00:00+00:00,")
    assert retry_entries(store, [entry], replacement=fixed).resolved == 1
    assert turns(store, "x3") == [("customer", "no time")]


def test_zone_less_timestamps_need_a_timezone(store: Store) -> None:
    ingest(store, FIXTURES / "zoneless.csv")
    assert count(store, "interactions") == 0
    assert [(line, code, fld) for line, code, fld, _r, _raw in quarantine(store)] == [
        (2, "timestamp_without_offset", "timestamp"),
        (3, "timestamp_without_offset", "timestamp"),
    ]
    ingest(store, FIXTURES / "zoneless.csv", timezone="Europe/London")
    assert rows(store, "SELECT started_at, utc_offset_minutes FROM interactions") == [
        (datetime(2026, 7, 1, 8, 0, tzinfo=UTC), 60)
    ]
    assert rows(store, "SELECT count(*) FROM quarantine WHERE status = 'pending'") == [(0,)]


def test_header_only_empty_and_missing_columns(store: Store) -> None:
    summary = ingest(store, FIXTURES / "header_only.csv")
    assert summary.records_read == 0 and summary.warnings
    ingest(store, FIXTURES / "empty.csv")
    ingest(store, FIXTURES / "missing_columns.csv")
    got = rows(store, "SELECT file, location, reason_code, reason FROM quarantine ORDER BY id")
    assert [(Path(f).name, loc, code) for f, loc, code, _r in got] == [
        ("empty.csv", "file", "empty_file"),
        ("missing_columns.csv", "line 1", "missing_columns"),
    ]
    assert "no speaker column (found 'chat_id', 'author', 'message')" in got[1][3]
    assert "--column speaker=COLUMN" in got[1][3]
    assert count(store, "interactions") == 0


def test_oversized_row_does_not_sink_its_conversation(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "conversation_id,speaker,text,timestamp\n"
        "o1,customer,short,2026-03-02T09:00:00Z\n"
        f"o1,agent,{'x' * 500},2026-03-02T09:00:01Z\n"
        "o1,agent,also short,2026-03-02T09:00:02Z\n"
    )
    ingest(store, path, limits=ReadLimits(max_record_bytes=200))
    [(line, code, _f, reason, _raw)] = quarantine(store)
    assert (line, code) == (3, "oversized")
    assert reason.startswith("row 3: record of 530 bytes exceeds the limit of 200 bytes")
    assert turns(store, "o1") == [("customer", "short"), ("agent", "also short")]
    assert attributes(store, "o1") == {"rows_quarantined": 1, "customer_unidentified": True}


def test_tab_separated_with_offsets_and_no_customer(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "calls.tsv"
    path.write_text(
        "dialogue_id\tparty\ttranscript\toffset_seconds\tstarted_at\n"
        "d1\tagent\thello, there\t0.5\t2026-03-02T09:00:00+00:00\n"
        "d1\tend-user\thi\t00:01:02.25\t2026-03-02T09:00:00+00:00\n"
        "d1\tagent\tbefore hello\t0\t2026-03-02T09:00:00+00:00\n"
    )
    assert UtteranceCsvAdapter.sniff(path, path.read_bytes())
    ingest(store, path)
    assert quarantine(store) == []
    assert turns(store, "d1") == [("agent", "before hello"), ("agent", "hello, there"), ("customer", "hi")]
    assert rows(store, "SELECT offset_ms FROM turns ORDER BY seq") == [(0,), (500,), (62250,)]
    assert rows(store, "SELECT customer_id FROM interactions") == [("unknown:d1",)]
    assert attributes(store, "d1") == {"customer_unidentified": True}


def test_bad_options_stop_the_load(store: Store) -> None:
    with pytest.raises(IngestError, match="unknown field"):
        ingest(store, FIXTURES / "default_headers.csv", columns={"speeker": "Speaker"})
    with pytest.raises(IngestError, match="--speaker robot=droid"):
        ingest(store, FIXTURES / "default_headers.csv", speakers={"robot": "droid"})
    with pytest.raises(IngestError, match="--timezone Mars/Olympus"):
        ingest(store, FIXTURES / "default_headers.csv", timezone="Mars/Olympus")
    with pytest.raises(IngestError, match="--channel"):
        ingest(store, FIXTURES / "default_headers.csv", channel="pigeon")
    assert count(store, "interactions") == 0


def test_sniff(tmp_path: Path) -> None:
    for name in ("default_headers.csv", "semicolon.csv", "noncontiguous.csv", "bad_rows.csv"):
        path = FIXTURES / name
        assert UtteranceCsvAdapter.sniff(path, path.read_bytes()), name
        assert detect_format(path) == FMT
    assert not UtteranceCsvAdapter.sniff(
        FIXTURES / "custom_headers.csv", (FIXTURES / "custom_headers.csv").read_bytes()
    )
    other = tmp_path / "sales.csv"
    other.write_text("order_id,amount\n1,2\n")
    assert not UtteranceCsvAdapter.sniff(other, other.read_bytes())
    renamed = tmp_path / "default.json"
    renamed.write_bytes((FIXTURES / "default_headers.csv").read_bytes())
    assert not UtteranceCsvAdapter.sniff(renamed, renamed.read_bytes())


def test_real_dialogues_from_dstc11(tmp_path: Path, store: Store) -> None:
    source = SHARED_DATA / "dstc11-intent-induction" / "all_intent_turns" / "test-banking" / "intended_utterances.jsonl"
    if not source.is_file():
        pytest.skip(f"shared data not available at {SHARED_DATA}")
    sample: dict[str, list[tuple[int, str, str]]] = {}
    with source.open("rb") as handle:
        for line in handle:
            obj = orjson.loads(line)
            if obj["dialogue_id"] not in sample and len(sample) == 8:
                break
            number = int(obj["turn_id"].rsplit("_", 1)[1])
            sample.setdefault(obj["dialogue_id"], []).append((number, obj["utterance"], obj["intent"][0]))
    # The export lists the turns newest first and interleaves two dialogues at a time.
    path = tmp_path / "dstc11-banking.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Dialogue Ref", "Party", "Utterance Text", "Turn No", "Call Start", "Intent"])
        ids = list(sample)
        for pair in (ids[i : i + 2] for i in range(0, len(ids), 2)):
            mixed = [(d, *t) for d in pair for t in sample[d]]
            for dialogue, number, text, intent in sorted(mixed, key=lambda r: -r[1]):
                writer.writerow([dialogue, "Customer", text, number, "2022-09-26T10:00:00-07:00", intent])
    summary = ingest(
        store,
        path,
        columns={
            "conversation_id": "Dialogue Ref",
            "speaker": "Party",
            "text": "Utterance Text",
            "offset_seconds": "Turn No",
            "started_at": "Call Start",
        },
        channel="voice",
    )
    assert quarantine(store) == []
    assert summary.counts.inserted == len(sample)
    for dialogue, expected in sample.items():
        ordered = sorted(expected)
        assert turns(store, dialogue) == [("customer", text) for _n, text, _i in ordered]
        intents = {intent for _n, _t, intent in ordered}
        if len(intents) == 1:
            assert attributes(store, dialogue).get("Intent") == intents.pop()
    assert rows(store, "SELECT DISTINCT channel, utc_offset_minutes FROM interactions") == [("voice", -420)]
