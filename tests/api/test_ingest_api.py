"""/api/v1/ingest, /ingest/loads, /quarantine and /analyze: uploads load like `signalroom ingest`,
bad records are quarantined, and the upload size is limited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from centre_fixtures import Centre
from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings
from support import interaction, write_jsonl

API = "/api/v1"


def _upload(client: TestClient, who: dict[str, str], content: bytes, **form: str) -> Any:
    return client.post(
        f"{API}/ingest",
        headers=who,
        files={"file": ("calls.jsonl", content)},
        data={"format": "jsonl", "source": "upload", **form},
    )


def test_upload_loads_and_quarantines(client: TestClient, centre: Centre, tmp_path: Path) -> None:
    analyst = centre.people["analyst"].headers
    path = write_jsonl(
        tmp_path / "calls.jsonl",
        [interaction("up-1"), interaction("up-2", channel="carrier-pigeon"), "{not json", interaction("up-3")],
    )
    response = _upload(client, analyst, path.read_bytes())
    assert response.status_code == 200, response.text
    body = response.json()
    [load] = body["loads"]
    assert (body["file"], body["read"], body["inserted"], body["quarantined"]) == ("calls.jsonl", 4, 2, 2)
    assert {
        k: load[k]
        for k in (
            "source",
            "format",
            "status",
            "read",
            "inserted",
            "updated",
            "unchanged",
            "quarantined",
            "reasons",
            "error",
        )
    } == {
        "source": "upload",
        "format": "jsonl",
        "status": "completed",
        "read": 4,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 2,
        "reasons": {"malformed_json": 1, "unknown_channel": 1},
        "error": None,
    }
    quarantine = client.get(f"{API}/quarantine", headers=analyst).json()
    assert quarantine["total"] == 2
    assert [(e["source"], e["line"], e["reason_code"]) for e in quarantine["items"]] == [
        ("upload", 2, "unknown_channel"),
        ("upload", 3, "malformed_json"),
    ]
    assert "raw" not in quarantine["items"][0]
    only = client.get(f"{API}/quarantine", params={"reason": "malformed_json"}, headers=analyst).json()
    assert only["total"] == 1
    assert client.get(f"{API}/quarantine", params={"status": "resolved"}, headers=analyst).json()["total"] == 0
    bad = client.get(f"{API}/quarantine", params={"status": "later"}, headers=analyst)
    assert bad.status_code == 422
    loads = client.get(f"{API}/ingest/loads", headers=analyst).json()
    assert loads["total"] == 2
    assert (loads["items"][0]["load_id"], loads["items"][0]["source"]) == (load["load_id"], "upload")
    # Reloading the same file: nothing new.
    again = _upload(client, analyst, path.read_bytes()).json()
    assert (again["inserted"], again["loads"][0]["unchanged"]) == (0, 2)


def test_upload_is_redacted_searchable_and_analysed(client: TestClient, centre: Centre, tmp_path: Path) -> None:
    analyst = centre.people["analyst"].headers
    record = interaction(
        "up-1",
        customer={"id": "cus-up", "phone": "+447700900123", "email": "Ann.Lee@Example.com", "name": "Ann Lee"},
        turns=[
            {
                "speaker": "agent",
                "text": "Thanks for calling, this call may be recorded.",
                "offset_ms": 0,
                "end_ms": 2500,
            },
            {
                "speaker": "customer",
                "text": "Write to me at ann.lee@example.com please.",
                "offset_ms": 2600,
                "end_ms": 5000,
            },
        ],
    )
    path = write_jsonl(tmp_path / "one.jsonl", [record])
    assert _upload(client, analyst, path.read_bytes(), source="upl").json()["inserted"] == 1
    view = client.get(f"{API}/interactions/upl/up-1", headers=analyst).json()
    assert view == {
        "source": "upl",
        "id": "up-1",
        "channel": "voice",
        "started_at": "2026-03-02T08:15:00Z",
        "ended_at": "2026-03-02T08:22:30Z",
        "queue": "cards",
        "direction": "inbound",
        "language": "en-GB",
        "agent": {"id": "ag-7", "name": "Sam", "team": "Cards", "site": "Leeds"},
        "customer_id": "cus-up",
        "parent_id": None,
        "resolved": True,
        "disposition": "card_unblocked",
        "transferred": None,
        "escalated": None,
        "turn_count": 2,
        "attributes": {"crm_case": "K-1"},
        "analysed": None,
        "reason": None,
        "turns": [
            {
                "seq": 0,
                "speaker": "agent",
                "text": "Thanks for calling, this call may be recorded.",
                "occurred_at": None,
                "offset_ms": 0,
                "end_ms": 2500,
                "redactions": [],
            },
            {
                "seq": 1,
                "speaker": "customer",
                "text": "Write to me at [EMAIL] please.",
                "occurred_at": None,
                "offset_ms": 2600,
                "end_ms": 5000,
                "redactions": [{"start": 15, "end": 22, "entity": "EMAIL"}],
            },
        ],
        "sentiment": None,
        "metrics": None,
        "situation": None,
        "qa": [],
        "can_dispute": False,
    }
    # The upload brought identity resolution up to date: the customer is found by phone or email.
    for q in ("07700 900123", "+44 7700 900123", "ann.lee@example.com", "email:ANN.LEE@example.com"):
        found = client.get(f"{API}/customers", params={"q": q}, headers=analyst).json()
        assert [p["interactions"] for p in found["items"]] == [1], q
    analysed = client.post(f"{API}/analyze", headers=analyst, json={"signals": False})
    assert analysed.status_code == 200, analysed.text
    assert (analysed.json()["status"], analysed.json()["interactions"]) == ("completed", 1)
    after = client.get(f"{API}/interactions/upl/up-1", headers=analyst).json()
    assert after["analysed"]["run_id"] == analysed.json()["run_id"]
    assert len(after["sentiment"]["curve"]) == 2
    assert after["metrics"]["channel"] == "voice"


def test_bad_uploads_are_refused_with_the_reason(shared_client: TestClient, centre_template: Centre) -> None:
    analyst = centre_template.people["analyst"].headers
    unknown = _upload(shared_client, analyst, b"{}\n", format="csv-ish")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["message"] == (
        "unknown format 'csv-ish': use one of auto, ccai, contact-lens, genesys, jsonl, utterance-csv, zendesk"
    )
    assert unknown.json()["error"]["fields"] == [{"location": "body.format", "problem": "unknown format 'csv-ish'"}]
    missing = shared_client.post(f"{API}/ingest", headers=analyst, data={"format": "jsonl"})
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"][0]["location"] == "body.file"
    empty = _upload(shared_client, analyst, b"")
    assert (empty.status_code, empty.json()["error"]["message"]) == (422, "the uploaded file is empty")
    for who in ("qa", "supervisor", "advisor", "executive"):
        refused = _upload(shared_client, centre_template.people[who].headers, b"{}\n")
        assert refused.status_code == 403, who


@pytest.fixture
def small_client(centre: Centre) -> Iterator[TestClient]:
    with TestClient(create_app(ServeSettings(db=centre.db, upload_bytes=4_000))) as test_client:
        yield test_client


def test_oversized_upload_is_413(small_client: TestClient, centre: Centre, tmp_path: Path) -> None:
    analyst = centre.people["analyst"].headers
    path = write_jsonl(tmp_path / "big.jsonl", [interaction(f"big-{n}") for n in range(10)])
    assert path.stat().st_size > 4_000
    response = _upload(small_client, analyst, path.read_bytes())
    assert response.status_code == 413
    assert response.json()["error"] == {
        "status": 413,
        "code": "too_large",
        "message": "the request body is larger than the limit of 4,000 bytes",
    }
    loads = small_client.get(f"{API}/ingest/loads", headers=analyst).json()
    assert loads["total"] == 1
    small = write_jsonl(tmp_path / "small.jsonl", [interaction("small-1")])
    assert _upload(small_client, analyst, small.read_bytes()).status_code == 200
