"""Live sessions through the API (docs/assist.md): over the WebSocket and the HTTP fallback, with
the handoff context, live reason, suggestions, nudges, supervisor alerts, and each session stored
and analysed at its end; an error in one session ends that session alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from centre_fixtures import Centre
from signalroom.api.app import create_app
from signalroom.api.state import ServeSettings


@pytest.fixture(scope="module")
def live(centre_template: Centre, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Centre]]:
    centre = centre_template.copy_to(tmp_path_factory.mktemp("assist"))
    with TestClient(create_app(ServeSettings(db=centre.db))) as client:
        yield client, centre


def start(session_id: str, centre: Centre, *, agent: str = "advisor", **extra: Any) -> dict[str, Any]:
    person = centre.people[agent]
    team = centre.facts["team"] if agent == "advisor" else centre.facts["other_team"]
    return {
        "type": "start",
        "session": {
            "id": session_id,
            "channel": "voice",
            "direction": "inbound",
            "customer": {"id": centre.facts["customer_id"]},
            "agent": {"id": person.agent_id, "name": agent.title(), "team": team},
            **extra,
        },
    }


def turn(speaker: str, text: str, at_s: float) -> dict[str, Any]:
    return {"type": "turn", "speaker": speaker, "text": text, "offset_ms": int(at_s * 1000)}


def rows(centre: Centre, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(centre.db), read_only=False) as con:
        return con.execute(sql, params).fetchall()


def test_a_live_call_gets_context_reason_suggestions_nudges_and_alerts_then_is_stored_and_analysed(
    live: tuple[TestClient, Centre],
) -> None:
    client, centre = live
    bot_id, bot_source = rows(
        centre, "SELECT id, source FROM interactions WHERE channel = 'bot' ORDER BY started_at, id LIMIT 1", []
    )[0]
    handoff = {"kind": "bot", "interaction_id": bot_id, "source": bot_source}
    with client.websocket_connect("/api/v1/assist/ws", headers=centre.people["advisor"].headers) as ws:
        ws.send_json(start("live-call-1", centre, handoff=handoff))
        started = ws.receive_json()
        assert started["type"] == "started" and started["session"] == "live-call-1"
        card = started["context"]["card"]
        assert card["interaction"]["id"] == bot_id
        bot = started["context"]["handoff"]
        assert bot["interaction"] == f"{bot_source}/{bot_id}" and bot["turns"] and bot["customer_said"]
        updates = []
        script = [
            turn("agent", "Hello, you're through to the bank, how can I help?", 2),
            turn("customer", "My card was declined abroad when I tried to pay for the hotel", 8),
            turn("customer", "And I want to change my address on the account as well", 35),
            turn("agent", "Before we go on, this call is recorded for training and quality", 41),
            turn("customer", "This is ridiculous, I'll be talking to my solicitor about it", 50),
        ]
        for message in script:
            ws.send_json(message)
            updates.append(ws.receive_json())
        assert [u["type"] for u in updates] == ["update"] * 5
        assert [u["clock_ms"] for u in updates] == [2000, 8000, 35000, 41000, 50000]
        assert updates[1]["reason"] is not None and 0 < updates[1]["reason"]["confidence"] <= 1
        suggestions = updates[1]["suggestions"]
        assert suggestions and all(0 <= s["confidence"] <= 1 and s["why"] for s in suggestions)
        # Handed off from a bot, the call continues one already disclosed: only identity is nudged.
        assert [(n["criterion"], n["status"]) for n in updates[2]["nudges"]] == [("verified-before-change", "open")]
        assert updates[2]["nudges"][0]["evidence"] == "change my address"
        assert updates[3]["nudges"] == []
        assert [n["criterion"] for n in updates[4]["open_nudges"]] == ["verified-before-change"]
        assert [a["kind"] for a in updates[4]["alerts"]] == ["legal_threat"]
        assert updates[4]["alerts"][0]["evidence"] == "solicitor"
        ws.send_json({"type": "end", "outcome": {"resolved": True}})
        ended = ws.receive_json()
    assert ended == {
        "type": "ended",
        "session": "live-call-1",
        "status": "ended",
        "error": None,
        "interaction": {"source": "assist", "id": "live-call-1"},
        "turns": 5,
        "stored": "queued",
    }
    alerts = client.get("/api/v1/assist/alerts", headers=centre.people["supervisor"].headers).json()["items"]
    assert [(a["session"], a["alert"]["kind"]) for a in alerts] == [("live-call-1", "legal_threat")]
    hub = client.app.state.signalroom.assist
    assert hub.wait_stored(180) and hub.store_errors == []
    [(turns, parent, status)] = rows(
        centre,
        "SELECT turn_count, parent_id, json_extract_string(attributes, '$.assist.status') FROM interactions "
        "WHERE source = 'assist' AND id = 'live-call-1'",
        [],
    )
    assert (turns, parent, status) == (5, bot_id, "ended")
    stages = {r[0] for r in rows(centre, "SELECT stage FROM stage_results WHERE source = 'assist'", [])}
    assert {"sentiment", "situation"} <= stages
    scored = rows(centre, "SELECT scorecard_id FROM qa_results WHERE source = 'assist' AND id = 'live-call-1'", [])
    assert ("voice-compliance",) in scored


def test_a_malformed_message_or_dropped_connection_ends_only_that_session(live: tuple[TestClient, Centre]) -> None:
    client, centre = live
    headers = centre.people["admin"].headers
    hub = client.app.state.signalroom.assist
    with (
        client.websocket_connect("/api/v1/assist/ws", headers=headers) as good,
        client.websocket_connect("/api/v1/assist/ws", headers=headers) as bad,
        client.websocket_connect("/api/v1/assist/ws", headers=headers) as dropping,
    ):
        for ws, key in ((good, "iso-good"), (bad, "iso-bad"), (dropping, "iso-drop")):
            ws.send_json(start(key, centre))
            assert ws.receive_json()["type"] == "started"
        bad.send_text('{"type": "turn", "speaker": "customer", "text": 42}')
        error = bad.receive_json()
        assert error == {
            "type": "error",
            "code": "malformed",
            "message": "turn message: text: Input should be a valid string",
        }
        with pytest.raises(WebSocketDisconnect) as closed:
            bad.receive_json()
        assert closed.value.code == 1007
        dropping.send_json(turn("customer", "hello?", 1))
        dropping.receive_json()
        dropping.close()
        good.send_json(turn("customer", "I was charged twice for the same thing", 3))
        assert good.receive_json()["type"] == "update"
        assert "iso-good" in hub.sessions and "iso-bad" not in hub.sessions
        good.send_json({"type": "end"})
        assert good.receive_json()["status"] == "ended"
    assert hub.wait_stored(180) and hub.store_errors == []
    stored = dict(
        rows(
            centre,
            "SELECT id, json_extract_string(attributes, '$.assist.status') FROM interactions "
            "WHERE source = 'assist' AND id LIKE 'iso-%'",
            [],
        )
    )
    assert stored == {"iso-good": "ended", "iso-bad": "failed", "iso-drop": "dropped"}


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("{not json", "the message is not JSON: unexpected character, expected a string key: line 1 column 2 (char 1)"),
        ("[1, 2]", "a message is a JSON object with a type, not list"),
        ('{"type": "shout"}', "unknown message type 'shout': expected one of start, turn, event, tick, end"),
        ('{"type": "turn", "speaker": "customer", "text": "hi"}', "a session begins with a start message, not turn"),
        (
            '{"type": "start", "session": {"id": "x"}}',
            "start message: session.channel: Field required; session.customer: Field required",
        ),
    ],
)
def test_bad_first_messages_are_refused_with_what_is_wrong(
    live: tuple[TestClient, Centre], message: str, problem: str
) -> None:
    client, centre = live
    with client.websocket_connect("/api/v1/assist/ws", headers=centre.people["admin"].headers) as ws:
        ws.send_text(message)
        assert ws.receive_json() == {"type": "error", "code": "malformed", "message": problem}


def test_sockets_are_authenticated_and_role_checked(live: tuple[TestClient, Centre]) -> None:
    client, centre = live
    with client.websocket_connect("/api/v1/assist/ws") as ws:
        assert ws.receive_json()["code"] == "not_authenticated"
    with client.websocket_connect("/api/v1/assist/ws", headers=centre.people["executive"].headers) as ws:
        error = ws.receive_json()
    assert error == {"type": "error", "code": "forbidden",
                     "message": "an executive may not do this: it is for admin, supervisor, advisor"}  # fmt: skip
    with client.websocket_connect("/api/v1/assist/watch", headers=centre.people["advisor"].headers) as ws:
        assert ws.receive_json()["code"] == "forbidden"
    # An advisor streams only their own calls.
    with client.websocket_connect("/api/v1/assist/ws", headers=centre.people["advisor"].headers) as ws:
        ws.send_json(start("someone-else", centre, agent="advisor2"))
        error = ws.receive_json()
    assert error["code"] == "forbidden" and "session.agent.id" in error["message"]
    # A page elsewhere cannot open a socket with the user's cookie.
    login = client.post(
        "/api/v1/auth/login", json={"username": "supervisor", "password": centre.people["supervisor"].password}
    )
    assert login.status_code == 200
    with client.websocket_connect("/api/v1/assist/watch", headers={"origin": "http://evil.example"}) as ws:
        assert "must come from this site" in ws.receive_json()["message"]
    with client.websocket_connect("/api/v1/assist/watch", headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "snapshot"
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": login.json().get("csrf_token", "")})
    client.cookies.clear()


def test_supervisors_watch_only_their_teams_sessions_and_alerts(live: tuple[TestClient, Centre]) -> None:
    client, centre = live
    with (
        client.websocket_connect("/api/v1/assist/watch", headers=centre.people["supervisor"].headers) as watch,
        client.websocket_connect("/api/v1/assist/ws", headers=centre.people["admin"].headers) as other,
        client.websocket_connect("/api/v1/assist/ws", headers=centre.people["advisor"].headers) as own,
    ):
        assert watch.receive_json()["type"] == "snapshot"
        other.send_json(start("watch-other", centre, agent="advisor2"))
        other.receive_json()
        other.send_json(turn("customer", "I want to cancel my account today", 5))
        assert [a["kind"] for a in other.receive_json()["alerts"]] == ["cancel_intent"]
        own.send_json(start("watch-own", centre))
        own.receive_json()
        own.send_json(turn("customer", "I want to cancel my account today", 5))
        own.receive_json()
        seen = [watch.receive_json() for _ in range(3)]
        assert [(e["type"], e["session"]) for e in seen] == [
            ("session_started", "watch-own"),
            ("alert", "watch-own"),
            ("session_updated", "watch-own"),
        ]
        assert seen[1]["alert"]["kind"] == "cancel_intent" and seen[1]["team"] == centre.facts["team"]
        listed = client.get("/api/v1/assist/sessions", headers=centre.people["supervisor"].headers).json()["items"]
        assert [s["session"] for s in listed] == ["watch-own"]
        page = client.get("/live", headers=centre.people["supervisor"].headers)
        assert page.status_code == 200 and 'data-session="watch-own"' in page.text and "watch-other" not in page.text
        for ws in (other, own):
            ws.send_json({"type": "end"})
            ws.receive_json()
    assert client.get("/live", headers=centre.people["advisor"].headers).status_code == 403


def test_the_http_fallback_streams_a_session_too(live: tuple[TestClient, Centre]) -> None:
    client, centre = live
    headers = centre.people["advisor"].headers
    started = client.post("/api/v1/assist/sessions", json=start("http-1", centre), headers=headers)
    assert started.status_code == 201 and started.json()["type"] == "started"
    again = client.post("/api/v1/assist/sessions", json=start("http-1", centre), headers=headers)
    assert again.status_code == 409 and "already live" in again.json()["error"]["message"]
    update = client.post("/api/v1/assist/sessions/http-1/messages", json=turn("customer", "my card got declined", 4),
                         headers=headers)  # fmt: skip
    assert update.status_code == 200 and update.json()["seq"] == 1
    tick = client.post("/api/v1/assist/sessions/http-1/messages", json={"type": "tick", "offset_ms": 31000},
                       headers=headers)  # fmt: skip
    assert [n["criterion"] for n in tick.json()["nudges"]] == ["recording-disclosure"]
    other = client.post("/api/v1/assist/sessions/http-1/messages", json={"type": "tick", "offset_ms": 1},
                        headers=centre.people["supervisor"].headers)  # fmt: skip
    assert other.status_code == 403
    bad = client.post("/api/v1/assist/sessions/http-1/messages", json={"type": "event", "event": "Hold Start"},
                      headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("event message: event:")
    gone = client.post("/api/v1/assist/sessions/http-1/messages", json={"type": "end"}, headers=headers)
    assert gone.status_code == 404 and "has ended, or never started" in gone.json()["error"]["message"]
    assert client.get("/api/v1/assist/status", headers=centre.people["admin"].headers).json()["live_sessions"] == 0


def test_assist_simulate_replays_recorded_calls_against_a_real_server(centre: Centre, tmp_path: Any) -> None:
    import json
    import subprocess
    import sys

    from live_server import serve

    advisor = centre.people["advisor"]
    calls = []
    for n in range(3):
        turns = [
            {"speaker": "agent", "text": "Hello, how can I help?", "offset_ms": 0},
            {"speaker": "customer", "text": "My card was declined abroad at the hotel", "offset_ms": 4000},
            {"speaker": "customer", "text": "I want to cancel my account if this keeps happening", "offset_ms": 38000},
            {"speaker": "agent", "text": "I've lifted the block, it will work now", "offset_ms": 45000},
        ]
        calls.append({"kind": "interaction", "id": f"rec-{n}", "channel": "voice", "direction": "inbound",
                      "started_at": "2026-03-30T10:00:00+00:00", "customer": {"id": centre.facts["customer_id"]},
                      "agent": {"id": advisor.agent_id, "team": centre.facts["team"]}, "turns": turns})  # fmt: skip
    path = tmp_path / "calls.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in calls))
    with serve(centre.db) as url:
        done = subprocess.run(
            [sys.executable, "-m", "signalroom.cli", "assist", "simulate", str(path), "--speed", "max", "--url", url,
             "--token", advisor.token, "--concurrency", "3", "--json"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["summary"]["sessions"] == 3 and report["summary"]["failed"] == 0
        assert report["summary"]["turns"] == 12 and report["summary"]["latency_ms"]["p99"] is not None
        first = next(s for s in report["sessions"] if s["session"] == "sim-rec-0")
        assert first["status"] == "ended" and first["alerts"] == ["cancel_intent"]
        # Not said by 30 s (a tick through the silence opens it), still open when the call ends at 45 s.
        assert first["nudges"] == ["recording-disclosure: open"]
        refused = subprocess.run(
            [sys.executable, "-m", "signalroom.cli", "assist", "simulate", str(path), "--url", url,
             "--token", "nope", "--json"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert refused.returncode == 1
        errors = {s["error"] for s in json.loads(refused.stdout)["sessions"]}
        assert errors == {"the API token is not valid: unknown, revoked, or its user is disabled"}
