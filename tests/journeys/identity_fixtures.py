"""A small warehouse for the identity tests: one customer met on five channels under five
identifiers, a household sharing a phone, an ambiguous value, and a record that identifies nobody."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from signalroom.cli.app import app
from support import interaction, write_jsonl

runner = CliRunner()


def cli(*args: str) -> Any:
    return runner.invoke(app, list(args))


def cli_json(*args: str) -> Any:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def profile(id: str, name: str, **lists: list[str]) -> dict[str, Any]:
    return {"kind": "customer", "id": id, "name": name, **lists}


def chat(id: str, at: str, customer: dict[str, str], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "channel": "chat",
        "started_at": at,
        "ended_at": None,
        "customer": customer,
        "events_in_call": [],
        "survey": None,
        "turns": [{"speaker": "customer", "text": "hello"}],
    }
    fields.update(overrides)
    return interaction(id, **fields)


RECORDS: list[dict[str, Any]] = [
    profile("C1", "Ann Lee", emails=["Ann.Lee@Example.com"], phones=["07700 900123"], accounts=["40-11-22 3141592"]),
    # A household: two customers whose profiles list the same home phone, written two ways.
    profile("C2", "Bob Stone", emails=["bob@example.com"], phones=["+447700900999"]),
    profile("C3", "Cara Stone", emails=["cara@example.com"], phones=["07700 900999"]),
    profile("ZED1", "Zed Ames"),
    interaction("call-1", started_at="2026-03-02T09:00:00+00:00", ended_at=None, customer={"phone": "+44 7700 900123"}),
    # The chat links the email to a handle no profile lists; the social post carries only the handle.
    chat("chat-1", "2026-03-03T10:00:00+00:00", {"email": "ANN.LEE@example.com", "handle": "@AnnLee"}),
    chat("social-1", "2026-03-04T11:00:00+00:00", {"handle": "annlee", "name": "Ann L."}, channel="social"),
    {
        "kind": "event",
        "id": "e-1",
        "customer": {"account": "401122 3141592"},
        "at": "2026-03-02T08:30:00+00:00",
        "type": "login_failed",
        "channel": "web",
    },
    {
        "kind": "survey",
        "id": "s-1",
        "customer": {"id": "C1"},
        "at": "2026-03-03T12:00:00+00:00",
        "interaction_id": "chat-1",
        "csat": 4,
        "nps": 8,
    },
    interaction("call-2", started_at="2026-03-05T09:00:00+00:00", ended_at=None, customer={"phone": "07700 900999"}),
    chat("chat-2", "2026-03-05T10:00:00+00:00", {"id": "C2", "email": "bob@example.com"}),
    # Nobody: "withheld" is no phone number.
    interaction("call-3", started_at="2026-03-06T09:00:00+00:00", ended_at=None, customer={"phone": "withheld"}),
    # ZED1 is a customer id, and ZED-1 an account number of someone else.
    {
        "kind": "event",
        "id": "e-2",
        "customer": {"account": "ZED-1"},
        "at": "2026-03-06T08:00:00+00:00",
        "type": "page_view",
        "channel": "app",
    },
]


def load(db: Path, folder: Path, records: list[dict[str, Any]] | None = None, name: str = "crm.jsonl") -> Any:
    path = write_jsonl(folder / name, list(records if records is not None else RECORDS))
    result = cli("ingest", str(path), "--db", str(db), "--source", "crm", "--no-redact", "--json")
    assert result.exit_code == 0, result.output
    # A load is only the load; resolution runs when something needs the people.
    resolved = cli("customers", "resolve", "--db", str(db), "--json")
    assert resolved.exit_code == 0, resolved.output
    return json.loads(result.stdout)


def person_of(db: Path, record_kind: str, record_id: str) -> int | None:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT person_id FROM record_persons WHERE record_kind = ? AND record_id = ?", [record_kind, record_id]
        ).fetchall()
    finally:
        con.close()
    return int(rows[0][0]) if rows else None
