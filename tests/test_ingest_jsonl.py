"""Ingest of interchange JSONL into a real DuckDB file: values, idempotency, updates, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from signalroom.ingest.adapters.base import ReadLimits
from signalroom.ingest.loader import IngestError, Loader
from signalroom.store import Store
from support import count, interaction, rows, table_counts, write_jsonl


def ingest(store: Store, *paths: Path, **kwargs):
    [summary] = Loader(store, **kwargs).ingest(list(paths), fmt="jsonl", source="test")
    return summary


def quarantine(store: Store) -> list[tuple]:
    return rows(store, "SELECT line, reason_code, field, reason FROM quarantine ORDER BY line")


def test_stores_every_field_of_an_interaction(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [interaction(unknown_top="kept")])
    summary = ingest(store, path)
    assert summary.to_dict() | {"paths": None} == {
        "load_id": 1,
        "source": "test",
        "format": "jsonl",
        "paths": None,
        "status": "completed",
        "read": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 0,
        "reasons": {},
        "skipped": {},
        "error": None,
        "warnings": [],
    }
    [row] = rows(
        store,
        "SELECT source, id, channel, started_at, ended_at, utc_offset_minutes, customer_id, customer_phone, "
        "customer_name, agent_id, agent_team, queue, direction, language, resolved, disposition, turn_count, "
        "attributes FROM interactions",
    )
    assert row == (
        "test",
        "c-1",
        "voice",
        datetime(2026, 3, 2, 8, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 8, 22, 30, tzinfo=UTC),
        60,
        "cus-1",
        "+447700900123",
        "Ann Lee",
        "ag-7",
        "Cards",
        "cards",
        "inbound",
        "en-GB",
        True,
        "card_unblocked",
        3,
        '{"unknown_top":"kept","crm_case":"K-1"}',
    )
    assert rows(store, "SELECT seq, speaker, text, offset_ms, end_ms FROM turns ORDER BY seq") == [
        (0, "agent", "Thanks for calling, this call may be recorded.", 0, 2500),
        (1, "customer", "My card was declined in Spain.", 2600, 5000),
        (2, "agent", "Let me check that for you.", 5200, 7000),
    ]
    assert rows(store, "SELECT type, offset_ms FROM call_events ORDER BY seq") == [
        ("hold_start", 7100),
        ("hold_end", 37100),
    ]
    assert rows(store, "SELECT id, interaction_id, embedded, csat, comment FROM surveys") == [
        ("c-1/survey", "c-1", True, 4, "quick"),
    ]
    assert rows(store, "SELECT id, name, team, site FROM agents") == [("ag-7", "Sam", "Cards", "Leeds")]


def test_events_surveys_and_customers(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {
                "kind": "customer",
                "id": "cus-1",
                "emails": ["ann@example.com"],
                "phones": ["+447700900123"],
                "handles": ["@ann"],
                "accounts": ["12345678"],
                "name": "Ann",
                "segment": "retail",
                "value": 1200,
            },
            {
                "kind": "event",
                "customer": {"id": "cus-1"},
                "at": "2026-03-02T08:00:00Z",
                "type": "password_reset_failed",
                "channel": "web",
                "properties": {"step": 2},
            },
            {
                "kind": "event",
                "id": "e-2",
                "customer": {"email": "ann@example.com"},
                "at": "2026-03-02T08:01:00Z",
                "type": "faq_view",
            },
            {
                "kind": "survey",
                "id": "s-1",
                "customer": {"id": "cus-1"},
                "at": "2026-03-03T10:00:00+00:00",
                "nps": 9,
            },
        ],
    )
    summary = ingest(store, path)
    assert (summary.counts.inserted, summary.counts.quarantined) == (4, 0)
    assert rows(store, "SELECT kind, value FROM customer_identifiers ORDER BY kind") == [
        ("account", "12345678"),
        ("email", "ann@example.com"),
        ("handle", "@ann"),
        ("id", "cus-1"),
        ("phone", "+447700900123"),
    ]
    ids = [r[0] for r in rows(store, "SELECT id FROM events ORDER BY occurred_at")]
    assert ids[0].startswith("evt-") and ids[1] == "e-2"
    assert rows(store, "SELECT properties FROM events WHERE type = 'password_reset_failed'") == [('{"step":2}',)]
    assert rows(store, "SELECT embedded, nps FROM surveys") == [(False, 9)]


def test_reingest_changes_nothing(store: Store, tmp_path: Path) -> None:
    records = [interaction(f"c-{i}") for i in range(30)]
    records.append({"kind": "event", "customer": {"id": "x"}, "at": "2026-03-02T08:00:00Z", "type": "page_view"})
    path = write_jsonl(tmp_path / "a.jsonl", records)
    ingest(store, path, batch_size=7)
    before = table_counts(store)
    summary = ingest(store, path, batch_size=7)
    assert (summary.counts.inserted, summary.counts.updated, summary.counts.unchanged) == (0, 0, 31)
    assert table_counts(store) == before


def test_changed_record_is_updated_and_its_children_replaced(store: Store, tmp_path: Path) -> None:
    ingest(store, write_jsonl(tmp_path / "v1.jsonl", [interaction("c-1"), interaction("c-2")]))
    changed = interaction("c-1", turns=[{"speaker": "customer", "text": "only this now"}], events_in_call=[])
    del changed["survey"]
    summary = ingest(store, write_jsonl(tmp_path / "v2.jsonl", [changed, interaction("c-2")]))
    assert (summary.counts.inserted, summary.counts.updated, summary.counts.unchanged) == (0, 1, 1)
    assert rows(store, "SELECT text FROM turns WHERE interaction_id = 'c-1'") == [("only this now",)]
    assert count(store, "turns") == 4
    assert rows(store, "SELECT interaction_id FROM surveys") == [("c-2",)]
    assert rows(store, "SELECT turn_count FROM interactions WHERE id = 'c-1'") == [(1,)]


def test_same_id_in_another_source_is_another_record(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [interaction("c-1")])
    Loader(store).ingest([path], fmt="jsonl", source="one")
    Loader(store).ingest([path], fmt="jsonl", source="two")
    assert rows(store, "SELECT source FROM interactions ORDER BY source") == [("one",), ("two",)]


BAD_LINES = [
    ('{"kind":"interaction","id":"x", oops', "malformed_json", None),
    (orjson.dumps({k: v for k, v in interaction("m").items() if k != "channel"}), "missing_field", "channel"),
    (
        orjson.dumps(interaction("tz", started_at="2026-03-02T09:15:00")),
        "timestamp_without_offset",
        "started_at",
    ),
    (orjson.dumps(interaction("ts", started_at="02/03/2026 09:15")), "bad_timestamp", "started_at"),
    (orjson.dumps(interaction("ch", channel="fax")), "unknown_channel", "channel"),
    (
        orjson.dumps(interaction("sp", turns=[{"speaker": "robot", "text": "x"}])),
        "unknown_speaker",
        "turns[0].speaker",
    ),
    (orjson.dumps(interaction("ty", survey={"csat": "5"})), "wrong_type", "survey.csat"),
    (orjson.dumps(interaction("rg", survey={"nps": 11})), "out_of_range", "survey.nps"),
    (orjson.dumps(interaction("cu", customer={"name": "no identifier"})), "invalid_value", "customer"),
    (orjson.dumps(interaction("en", ended_at="2026-03-02T09:00:00+01:00")), "invalid_value", None),
    (b'{"kind":"interaction","id":"u8","customer":{"name":"\xff"}}', "invalid_utf8", None),
    ('{"kind":"ticket","id":"k"}', "unknown_kind", "kind"),
    ('{"id":"k"}', "missing_kind", "kind"),
    ("[1, 2, 3]", "wrong_type", None),
]


@pytest.mark.parametrize(("line", "code", "field"), BAD_LINES, ids=[c for _, c, _ in BAD_LINES])
def test_each_bad_record_is_quarantined_with_its_reason(
    store: Store, tmp_path: Path, line: str | bytes, code: str, field: str | None
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [interaction("good-1"), line, interaction("good-2")])
    summary = ingest(store, path)
    assert (summary.counts.inserted, summary.counts.quarantined) == (2, 1)
    assert summary.reasons == {code: 1}
    [(line_no, got_code, got_field, reason)] = quarantine(store)
    assert (line_no, got_code, got_field) == (2, code, field)
    assert reason and "\n" not in reason
    [(raw, location, file)] = rows(store, "SELECT raw, location, file FROM quarantine")
    assert location == "line 2" and file == str(path)
    expected_raw = line.decode("utf-8", "backslashreplace") if isinstance(line, bytes) else line
    assert raw == expected_raw


def test_reasons_name_the_problem(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [line for line, _, _ in BAD_LINES])
    ingest(store, path)
    reasons = dict(rows(store, "SELECT reason_code || ':' || line, reason FROM quarantine"))
    assert reasons["timestamp_without_offset:3"] == (
        "started_at: timestamp '2026-03-02T09:15:00' has no UTC offset (write e.g. 2026-03-02T09:15:00+01:00)"
    )
    assert reasons["unknown_channel:5"].startswith("channel: unknown channel 'fax' (expected one of voice,")
    assert reasons["missing_field:2"] == "missing required field channel"
    utf8_line = next(line for line, code, _ in BAD_LINES if code == "invalid_utf8")
    bad_byte = utf8_line.index(b"\xff")
    assert reasons["invalid_utf8:11"] == f"invalid UTF-8 at byte {bad_byte} of line 11"
    assert reasons["unknown_kind:12"] == "unknown kind 'ticket' (expected interaction, event, survey or customer)"


def test_duplicate_id_within_a_file_keeps_the_first(store: Store, tmp_path: Path) -> None:
    first = interaction("d-1", queue="first")
    path = write_jsonl(tmp_path / "dup.jsonl", [first, interaction("d-2"), interaction("d-1", queue="second")])
    summary = ingest(store, path)
    assert (summary.counts.inserted, summary.counts.quarantined) == (2, 1)
    assert rows(store, "SELECT queue FROM interactions WHERE id = 'd-1'") == [("first",)]
    [(line, code, field, reason)] = quarantine(store)
    assert (line, code, field) == (3, "duplicate_id", "id")
    assert "first at line 1" in reason


def test_oversized_record_is_quarantined_and_retried_with_a_higher_limit(store: Store, tmp_path: Path) -> None:
    from signalroom.ingest.retry import retry_entries
    from signalroom.store.reads import QuarantineFilter, list_quarantine

    big = interaction("big", turns=[{"speaker": "customer", "text": "x" * 100_000}])
    path = write_jsonl(tmp_path / "big.jsonl", [interaction("small"), big])
    summary = ingest(store, path, limits=ReadLimits(max_record_bytes=80_000))
    assert summary.reasons == {"oversized": 1}
    [(raw_bytes, truncated, kept)] = rows(store, "SELECT raw_bytes, raw_truncated, length(raw) FROM quarantine")
    assert truncated and raw_bytes == len(orjson.dumps(big)) and kept == 64 * 1024
    entries = list_quarantine(store, QuarantineFilter())
    report = retry_entries(store, entries, limits=ReadLimits(max_record_bytes=200_000))
    assert report.resolved == 1
    assert rows(store, "SELECT length(text) FROM turns WHERE interaction_id = 'big'") == [(100_000,)]
    assert rows(store, "SELECT status, resolved_by LIKE 'retry:%' FROM quarantine") == [("resolved", True)]


def test_empty_file_and_file_of_only_bad_lines(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n  \n\n")
    bad = write_jsonl(tmp_path / "bad.jsonl", ["{", "not json", '{"kind":"nope"}'])
    summary = ingest(store, empty, blank, bad)
    assert summary.status == "completed"
    assert (summary.records_read, summary.counts.inserted, summary.counts.quarantined) == (3, 0, 3)
    assert summary.warnings == [
        f"{empty}: no records (the file is empty)",
        f"{blank}: no records (the file is empty)",
    ]
    assert count(store, "interactions") == 0
    assert [r[0] for r in rows(store, "SELECT line FROM quarantine ORDER BY line")] == [1, 2, 3]


def test_five_percent_corrupt_lines_quarantines_exactly_those(store: Store, tmp_path: Path) -> None:
    records: list = []
    corrupt_lines = set()
    for i in range(400):
        if i % 20 == 7:
            records.append(orjson.dumps(interaction(f"c-{i}"))[:-9])  # cut short: malformed
            corrupt_lines.add(i + 1)
        else:
            records.append(interaction(f"c-{i}"))
    path = write_jsonl(tmp_path / "five.jsonl", records)
    summary = ingest(store, path, batch_size=50)
    assert (summary.counts.inserted, summary.counts.quarantined) == (380, 20)
    assert {
        r[0] for r in rows(store, "SELECT line FROM quarantine WHERE reason_code = 'malformed_json'")
    } == corrupt_lines
    # A second run neither duplicates the quarantine nor the records.
    again = ingest(store, path, batch_size=50)
    assert (again.counts.unchanged, again.counts.quarantined) == (380, 20)
    assert count(store, "quarantine") == 20 and count(store, "interactions") == 380


def test_fixed_file_resolves_its_quarantine_on_reload(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [interaction("a"), '{"kind": "interaction", "id": "b"'])
    ingest(store, path)
    assert rows(store, "SELECT status FROM quarantine") == [("pending",)]
    write_jsonl(path, [interaction("a"), interaction("b")])
    ingest(store, path)
    assert rows(store, "SELECT status, resolved_by FROM quarantine") == [("resolved", "reload:2")]
    assert count(store, "interactions") == 2


def test_a_failure_mid_file_keeps_committed_batches_and_a_rerun_completes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from signalroom.ingest.adapters import jsonl

    path = write_jsonl(tmp_path / "a.jsonl", [interaction(f"c-{i}") for i in range(100)])
    real_read = jsonl.JsonlAdapter.read

    def crashing_read(self, p, limits):
        for n, item in enumerate(real_read(self, p, limits)):
            if n == 55:
                raise OSError("disk went away")
            yield item

    monkeypatch.setattr(jsonl.JsonlAdapter, "read", crashing_read)
    with pytest.raises(OSError, match="disk went away"):
        ingest(store, path, batch_size=10)
    assert count(store, "interactions") == 50  # five whole batches, nothing half-written
    assert count(store, "turns") == 150
    assert rows(store, "SELECT status, error FROM loads") == [("failed", "OSError: disk went away")]
    monkeypatch.setattr(jsonl.JsonlAdapter, "read", real_read)
    summary = ingest(store, path, batch_size=10)
    assert (summary.counts.inserted, summary.counts.unchanged) == (50, 50)
    assert count(store, "interactions") == 100 and count(store, "turns") == 300


def test_missing_path_is_an_error_before_anything_is_written(store: Store, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"no such file or folder: .*nope\.jsonl"):
        Loader(store).ingest([tmp_path / "nope.jsonl"], fmt="jsonl")
    assert count(store, "loads") == 0


def test_folder_is_read_recursively_and_auto_detects(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    (folder / "sub").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", [interaction("a")])
    write_jsonl(folder / "sub" / "b.jsonl", [interaction("b")])
    write_jsonl(folder / ".hidden.jsonl", [interaction("h")])
    [summary] = Loader(store).ingest([folder])
    assert summary.format == "jsonl" and summary.source == "jsonl"
    assert [r[0] for r in rows(store, "SELECT id FROM interactions ORDER BY id")] == ["a", "b"]


def test_retry_all_reads_each_file_once_and_settles_in_bulk(store: Store, tmp_path: Path) -> None:
    from signalroom.ingest import retry
    from signalroom.ingest.retry import retry_entries
    from signalroom.store.reads import QuarantineFilter, list_quarantine

    records = [interaction(f"r-{i}", turns=[{"speaker": "customer", "text": "y" * 3_000}]) for i in range(30)]
    records[7] = '{"kind": "interaction", "id": "still-bad"' + " " * 3_000
    path = write_jsonl(tmp_path / "many.jsonl", records)
    ingest(store, path, limits=ReadLimits(max_record_bytes=1_000))
    assert count(store, "quarantine") == 30
    reads = []
    real = retry.read_lines_at
    retry.read_lines_at = lambda p, numbers: reads.append(p) or real(p, numbers)
    try:
        report = retry_entries(store, list_quarantine(store, QuarantineFilter(), None), limits=ReadLimits())
    finally:
        retry.read_lines_at = real
    assert reads == [path]
    assert (report.resolved, report.failed) == (29, 1)
    assert count(store, "interactions") == 29
    assert rows(store, "SELECT status, count(*), sum(attempts) FROM quarantine GROUP BY status ORDER BY status") == [
        ("pending", 1, 1),
        ("resolved", 29, 29),
    ]
    assert rows(store, "SELECT reason_code, line FROM quarantine WHERE status = 'pending'") == [("malformed_json", 8)]


def test_same_id_in_two_files_of_one_load_is_an_update(store: Store, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "1.jsonl", [interaction("c-1", queue="old"), interaction("c-2")])
    second = write_jsonl(tmp_path / "2.jsonl", [interaction("c-1", queue="new"), interaction("c-3")])
    summary = ingest(store, first, second)
    assert (summary.counts.inserted, summary.counts.updated, summary.counts.unchanged) == (3, 1, 0)
    assert rows(store, "SELECT id, queue FROM interactions ORDER BY id") == [
        ("c-1", "new"),
        ("c-2", "cards"),
        ("c-3", "cards"),
    ]
    assert rows(store, "SELECT count(*) FROM turns WHERE interaction_id = 'c-1'") == [(3,)]
    assert rows(store, "SELECT count(*) FROM surveys WHERE interaction_id = 'c-1'") == [(1,)]
