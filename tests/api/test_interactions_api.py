"""/api/v1/interactions and /api/v1/export/interactions: scoped lists, one interaction in full with
its redaction marks, sentiment curve and QA evidence, the context card, exports and the audit log."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from centre_fixtures import Centre
from signalroom.auth import audit

API = "/api/v1"


def _store(client: TestClient) -> Any:
    return client.app.state.signalroom.request_store()  # type: ignore[attr-defined]


def _audit(client: TestClient, action: str) -> list[dict[str, Any]]:
    store = _store(client)
    try:
        rows, _ = audit.entries(store, action=action, limit=500)
    finally:
        store.close()
    return rows


def _rows(client: TestClient, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    store = _store(client)
    try:
        return list(store.connection.execute(sql, params).fetchall())
    finally:
        store.close()


def test_list_is_a_page_newest_first_with_filters(shared_client: TestClient, centre_template: Centre) -> None:
    admin = centre_template.people["admin"].headers
    body = shared_client.get(f"{API}/interactions", params={"limit": 5, "offset": 5}, headers=admin).json()
    assert set(body) == {"items", "total", "limit", "offset", "next_offset"}
    assert (body["limit"], body["offset"], body["next_offset"]) == (5, 5, 10)
    [total] = _rows(shared_client, "SELECT count(*) FROM interactions", [])[0]
    assert body["total"] == total
    started = [i["started_at"] for i in body["items"]]
    assert started == sorted(started, reverse=True)
    assert set(body["items"][0]) == {
        "source", "id", "channel", "started_at", "ended_at", "queue", "direction", "agent_id", "agent_name",
        "agent_team", "turn_count", "resolved", "disposition", "sentiment", "qa_score", "reason",
    }  # fmt: skip
    voice = shared_client.get(
        f"{API}/interactions", params={"channel": "voice", "from": "2026-03-05", "to": "2026-03-10", "limit": 500},
        headers=admin,
    ).json()  # fmt: skip
    assert voice["total"] > 0
    assert {i["channel"] for i in voice["items"]} == {"voice"}
    assert all("2026-03-05" <= i["started_at"][:10] <= "2026-03-10" for i in voice["items"])
    reason = centre_template.facts["reason_id"]
    by_reason = shared_client.get(f"{API}/interactions", params={"reason": reason, "limit": 500}, headers=admin).json()
    assert by_reason["total"] > 0
    assert {i["reason"]["topic_id"] for i in by_reason["items"]} == {reason}


def test_bad_filters_name_the_field(shared_client: TestClient, centre_template: Centre) -> None:
    admin = centre_template.people["admin"].headers
    response = shared_client.get(
        f"{API}/interactions", params={"from": "2026-03-10", "to": "2026-03-01"}, headers=admin
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [{"location": "query.to", "problem": "before from"}]
    response = shared_client.get(f"{API}/interactions", params={"limit": 0}, headers=admin)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["location"] == "query.limit"


def test_supervisor_and_advisor_lists_are_scoped(shared_client: TestClient, centre_template: Centre) -> None:
    people, facts = centre_template.people, centre_template.facts
    supervised = shared_client.get(f"{API}/interactions", params={"limit": 500}, headers=people["supervisor"].headers)
    assert {i["agent_team"] for i in supervised.json()["items"]} == {facts["team"]}
    [team_total] = _rows(shared_client, "SELECT count(*) FROM interactions WHERE agent_team = ?", [facts["team"]])[0]
    assert supervised.json()["total"] == team_total
    # Asking for another team narrows further, never widens.
    other = shared_client.get(
        f"{API}/interactions", params={"team": facts["other_team"]}, headers=people["supervisor"].headers
    )
    assert other.json()["total"] == 0
    own = shared_client.get(f"{API}/interactions", params={"limit": 500}, headers=people["advisor"].headers).json()
    assert own["total"] > 0
    assert {i["agent_id"] for i in own["items"]} == {people["advisor"].agent_id}
    assert shared_client.get(f"{API}/interactions", headers=people["executive"].headers).status_code == 403


def test_one_interaction_in_full(shared_client: TestClient, centre_template: Centre) -> None:
    facts = centre_template.facts
    source, iid = facts["source"], facts["advisor_interaction"]
    response = shared_client.get(
        f"{API}/interactions/{source}/{iid}", headers=centre_template.people["advisor"].headers
    )
    assert response.status_code == 200
    view = response.json()
    assert list(view) == [
        "source", "id", "channel", "started_at", "ended_at", "queue", "direction", "language", "agent",
        "customer_id", "parent_id", "resolved", "disposition", "transferred", "escalated", "turn_count",
        "attributes", "analysed", "reason", "turns", "sentiment", "metrics", "situation", "qa", "can_dispute",
    ]  # fmt: skip
    [(agent, name, team, site, channel, turns)] = _rows(
        shared_client,
        "SELECT agent_id, agent_name, agent_team, agent_site, channel, turn_count FROM interactions "
        "WHERE source = ? AND id = ?",
        [source, iid],
    )
    assert view["agent"] == {"id": agent, "name": name, "team": team, "site": site}
    assert (view["source"], view["id"], view["channel"], view["turn_count"]) == (source, iid, channel, turns)
    assert view["can_dispute"] is True
    # The transcript is the redacted text; each redaction mark is the placeholder's span.
    stored = _rows(
        shared_client,
        "SELECT t.seq, t.speaker, coalesce(r.text, t.text) FROM turns t LEFT JOIN redacted_turns r "
        "ON r.source = t.source AND r.interaction_id = t.interaction_id AND r.seq = t.seq "
        "WHERE t.source = ? AND t.interaction_id = ? ORDER BY t.seq",
        [source, iid],
    )
    assert [(t["seq"], t["speaker"], t["text"]) for t in view["turns"]] == stored
    marks = [(t["text"], m) for t in view["turns"] for m in t["redactions"]]
    assert marks, "the demo's greeting names someone: a redaction mark is expected"
    for text, mark in marks:
        assert set(mark) == {"start", "end", "entity"}
        assert text[mark["start"] : mark["end"]] == f"[{mark['entity']}]"
    # The sentiment curve has one point per turn, as stored.
    [(sentiment,)] = _rows(
        shared_client,
        "SELECT result FROM stage_results WHERE source = ? AND id = ? AND stage = 'sentiment'",
        [source, iid],
    )
    scores = orjson.loads(sentiment)["turn_scores"]
    assert view["sentiment"]["curve"] == [
        {"seq": t["seq"], "speaker": t["speaker"], "score": s} for t, s in zip(view["turns"], scores, strict=True)
    ]
    assert "turn_scores" not in view["sentiment"]
    assert view["reason"]["topic_id"] is not None
    assert view["metrics"]["channel"] == channel
    assert "trigger" in view["situation"]
    # QA: every answer stored, in its scorecard's order, and turn evidence quotes its turn.
    answers = _rows(
        shared_client,
        "SELECT scorecard_id, criterion_id, value, confidence, explanation FROM qa_answers "
        "WHERE source = ? AND id = ? ORDER BY scorecard_id, criterion_id",
        [source, iid],
    )
    shown = sorted(
        (r["scorecard_id"], a["criterion_id"], a["value"], a["confidence"], a["explanation"])
        for r in view["qa"]
        for a in r["answers"]
    )
    assert shown == sorted(answers)
    texts = {t["seq"]: t["text"] for t in view["turns"]}
    quoted = [e for r in view["qa"] for a in r["answers"] for e in a["evidence"] if e["kind"] == "turn"]
    assert quoted, "the demo's closings are evidence of a QA answer"
    for e in quoted:
        assert texts[e["turn"]][e["start"] : e["end"]] == e["text"]
    first = view["qa"][0]
    assert set(first) == {"scorecard_id", "name", "applies", "score", "earned", "potential", "auto_failed",
                          "scored_at", "answers"}  # fmt: skip
    assert set(first["answers"][0]) == {"criterion_id", "name", "section", "auto_fail", "value", "confidence",
                                        "explanation", "evidence", "disputes"}  # fmt: skip


def test_out_of_scope_is_not_found_and_executives_are_refused(
    shared_client: TestClient, centre_template: Centre
) -> None:
    people, facts = centre_template.people, centre_template.facts
    other = f"{API}/interactions/{facts['source']}/{facts['advisor2_interaction']}"
    for who in ("advisor", "supervisor"):
        for path in (other, f"{other}/context"):
            response = shared_client.get(path, headers=people[who].headers)
            assert response.status_code == 404, (who, path)
            assert response.json()["error"]["message"] == (
                f"no interaction {facts['source']}/{facts['advisor2_interaction']} among those you may see"
            )
    missing = shared_client.get(f"{API}/interactions/demo/no-such-id", headers=people["admin"].headers)
    assert missing.status_code == 404
    assert shared_client.get(other, headers=people["advisor2"].headers).status_code == 200
    assert shared_client.get(other, headers=people["qa"].headers).status_code == 200
    for path in (other, f"{other}/context"):
        refused = shared_client.get(path, headers=people["executive"].headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"


def test_views_are_audited(client: TestClient, centre: Centre) -> None:
    facts = centre.facts
    path = f"{API}/interactions/{facts['source']}/{facts['advisor_interaction']}"
    assert client.get(path, headers=centre.people["advisor"].headers).status_code == 200
    assert client.get(path.replace(facts["advisor_interaction"], facts["advisor2_interaction"]),
                      headers=centre.people["advisor"].headers).status_code == 404  # fmt: skip
    [entry] = _audit(client, "view_transcript")
    assert {k: entry[k] for k in ("username", "role", "action", "resource", "client")} == {
        "username": "advisor",
        "role": "advisor",
        "action": "view_transcript",
        "resource": f"interaction {facts['source']}/{facts['advisor_interaction']}",
        "client": "testclient",
    }


def test_context_card(shared_client: TestClient, centre_template: Centre) -> None:
    facts = centre_template.facts
    response = shared_client.get(
        f"{API}/interactions/{facts['source']}/{facts['advisor_interaction']}/context",
        headers=centre_template.people["supervisor"].headers,
    )
    assert response.status_code == 200
    card = response.json()
    assert set(card) == {"interaction", "customer", "prior", "previous_contacts", "open_episode", "open_actions",
                         "likely_next", "episodes_built_at", "notes"}  # fmt: skip
    assert (card["interaction"]["source"], card["interaction"]["id"]) == (facts["source"], facts["advisor_interaction"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_is_filtered_scoped_and_audited(client: TestClient, centre: Centre, fmt: str) -> None:
    response = client.get(
        f"{API}/export/interactions", params={"format": fmt, "channel": "sms"}, headers=centre.people["qa"].headers
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    [expected] = _rows(client, "SELECT count(*) FROM interactions WHERE channel = 'sms'", [])[0]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert {"sentiment", "metrics", "situation", "reason_topic"} <= set(rows[0])
    else:
        rows = [orjson.loads(line) for line in response.text.splitlines() if line]
    assert len(rows) == expected == int(response.headers["x-row-count"])
    assert {r["channel"] for r in rows} == {"sms"}
    [entry] = _audit(client, "export")
    assert entry["username"] == "qa"
    assert entry["resource"] == "interactions"
    assert entry["detail"] == {"format": fmt, "rows": expected, "filters": {"channel": "sms"}, "scope": "everything"}


def test_export_refuses_other_roles_and_unknown_formats(shared_client: TestClient, centre_template: Centre) -> None:
    people = centre_template.people
    for who in ("supervisor", "advisor", "executive"):
        response = shared_client.get(f"{API}/export/interactions", headers=people[who].headers)
        assert response.status_code == 403, who
    bad = shared_client.get(f"{API}/export/interactions", params={"format": "xml"}, headers=people["analyst"].headers)
    assert bad.status_code == 422
    assert bad.json()["error"] == {
        "status": 422,
        "code": "invalid_request",
        "message": "unknown export format 'xml': use jsonl or csv",
        "fields": [{"location": "query.format", "problem": "unknown format"}],
    }


def test_a_day_is_the_interactions_local_day_in_lists_as_in_the_metrics(client: TestClient, centre: Centre) -> None:
    """Late evening in UTC is the next morning where the customer is: the lists of interactions and
    of QA answers count it on the local day, as the metrics and drivers do."""
    admin = centre.people["admin"].headers
    [(source, ident)] = _rows(
        client, "SELECT i.source, i.id FROM interactions i JOIN qa_results q USING (source, id) "
        "ORDER BY i.started_at, i.id LIMIT 1", [],
    )  # fmt: skip
    store = _store(client)
    try:
        store.connection.execute(
            "UPDATE interactions SET started_at = TIMESTAMPTZ '2026-03-10 23:30:00+00', utc_offset_minutes = 120 "
            "WHERE source = ? AND id = ?", [source, ident],
        )  # fmt: skip
    finally:
        store.close()

    def interactions(day: str) -> set[str]:
        body = client.get(f"{API}/interactions", params={"from": day, "to": day, "limit": 500}, headers=admin).json()
        assert body["total"] <= 500
        return {item["id"] for item in body["items"]}

    def answers(day: str) -> int:
        params = {"from": day, "to": day, "interaction": ident, "source": source}
        return int(client.get(f"{API}/qa/answers", params=params, headers=admin).json()["total"])

    assert ident in interactions("2026-03-11")
    assert ident not in interactions("2026-03-10")
    assert answers("2026-03-11") > 0
    assert answers("2026-03-10") == 0
