"""A small hand-made warehouse for episodes and outcome metrics; every expected value in
test_episodes.py and test_metrics.py is worked out by hand from it.

Five people (customer ids A–E), contact reasons 1–3 written straight into interaction_reasons,
conversation metrics straight into stage_results. All times UTC (local date = UTC date); the data
ends with B's faq_view at 2026-03-25 10:00, so 7-day windows have ended for contacts up to
2026-03-18 10:00.

    A  a1 voice  03-01 10:00 r1 unresolved   a2 chat 03-03 10:00 r1 resolved   a3 voice 03-08 10:00 r2
    B  b1 bot    03-02 09:00 r3 escalated → b2 chat 09:05 (parent b1, r1: the chain keeps r3)
       b3 voice  03-04 09:00 r3 transferred → b4 voice 09:10 (parent b3, queue loans) resolved
    C  c1 bot    03-05 12:00 (no reason) contained; c2 email 03-07 12:00 r2
    D  d1 voice  03-20 08:00 r1 (its 7-day window is still open); account_closed 03-21 08:00
    E  e1 bot    03-06 10:00 (no reason) "contained", but e2 voice 03-06 20:00 r2 within 24 h
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from signalroom.ingest.loader import Loader
from signalroom.store import Store
from support import interaction, write_jsonl


def _i(ident: str, who: str, channel: str, at: str, **extra: Any) -> dict[str, Any]:
    start = f"2026-03-{at}:00Z"
    record = interaction(
        ident,
        channel=channel,
        started_at=start,
        ended_at=None,
        customer={"id": who},
        survey=None,
        outcome={"resolved": True},
        events_in_call=[],
    )
    record.pop("ended_at")
    record.update(extra)
    return record


NO_AGENT: dict[str, Any] = {"agent": None, "queue": "virtual_assistant", "turns": []}

INTERACTIONS = [
    _i("a1", "A", "voice", "01T10:00", outcome={"resolved": False}, survey={"csat": 2}),
    _i("a2", "A", "chat", "03T10:00", agent={"id": "ag2", "team": "Cards"}, survey={"csat": 5, "nps": 9}),
    _i("a3", "A", "voice", "08T10:00"),
    _i("b1", "B", "bot", "02T09:00", outcome={"resolved": False, "escalated": True}, **NO_AGENT),
    _i("b2", "B", "chat", "02T09:05", parent_id="b1", agent={"id": "ag2", "team": "Cards"}),
    _i("b3", "B", "voice", "04T09:00", outcome={"resolved": False, "transferred": True}),
    _i("b4", "B", "voice", "04T09:10", parent_id="b3", queue="loans", agent={"id": "ag3", "team": "Loans"},
       survey={"csat": 4, "nps": 3, "ces": 2}),
    _i("c1", "C", "bot", "05T12:00", **NO_AGENT),
    _i("c2", "C", "email", "07T12:00"),
    _i("d1", "D", "voice", "20T08:00"),
    _i("e1", "E", "bot", "06T10:00", **NO_AGENT),
    _i("e2", "E", "voice", "06T20:00"),
]  # fmt: skip

REASONS = {"a1": 1, "a2": 1, "a3": 2, "b1": 3, "b2": 1, "b3": 3, "b4": 3, "c2": 2, "d1": 1, "e2": 2}


def _event(ident: str, who: str, at: str, kind: str, channel: str = "web") -> dict[str, Any]:
    return {"kind": "event", "id": ident, "customer": {"id": who}, "at": f"2026-03-{at}:00Z", "type": kind,
            "channel": channel}  # fmt: skip


OTHERS = [
    _event("ev1", "C", "05T11:00", "login_failed"),  # c1 within 24 h
    _event("ev2", "A", "10T10:00", "payment_failed", "app"),  # nothing follows
    _event("ev3", "B", "04T08:00", "otp_error"),  # a type ending in _error; b3 within 24 h
    _event("ev4", "A", "25T09:00", "form_error"),  # its 24 h have not ended
    _event("ev5", "D", "21T08:00", "account_closed"),
    _event("ev6", "A", "02T10:00", "payment"),  # not a failure
    _event("ev7", "B", "25T10:00", "faq_view"),  # the last record
    {"kind": "survey", "id": "s1", "customer": {"id": "C"}, "at": "2026-03-08T09:00:00Z", "interaction_id": "c2",
     "nps": 10, "ces": 5},
]  # fmt: skip

# Conversation metrics as the metrics stage stores them (only the fields outcome metrics read).
CONVERSATION = {
    "a1": {"duration_s": 600, "hold_s": 60, "silence_s": 30},
    "a2": {"duration_s": 300, "first_response_s": 20},
    "a3": {"duration_s": 400, "hold_s": 0, "silence_s": 40},
    "b1": {"duration_s": 100},
    "b2": {"duration_s": 200, "first_response_s": 40},
    "b3": {"duration_s": 120, "hold_s": 30, "silence_s": 0},
    "b4": {"duration_s": 500, "hold_s": 0, "silence_s": 50},
    "c2": {"duration_s": 86400, "first_response_s": 3600},
    "d1": {"duration_s": 300, "hold_s": 90, "silence_s": 30},
}


def build_warehouse(tmp_path: Path) -> Path:
    """Load the records, then add the reasons and conversation metrics `signalroom analyze`
    would have written. Episodes are not built."""
    data = write_jsonl(tmp_path / "records.jsonl", [*INTERACTIONS, *OTHERS])
    db = tmp_path / "outcomes.duckdb"
    with Store.open(db) as store:
        loader = Loader(store)
        loader.ingest([data], fmt="jsonl", source="t")
        con = store.connection
        for ident, topic in REASONS.items():
            con.execute(
                "INSERT INTO interaction_reasons VALUES ('t', ?, 1, 'discovered', ?, NULL, 0.9, FALSE, 1)",
                [ident, topic],
            )
        for ident, result in CONVERSATION.items():
            con.execute(
                "INSERT INTO stage_results VALUES ('t', ?, 'metrics', ?, 1)", [ident, orjson.dumps(result).decode()]
            )
    return db
