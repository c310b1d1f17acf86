"""/api/v1/customers: search by any identifier or name; one person's timeline and context card,
scoped to what the caller may see and audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from centre_fixtures import Centre
from signalroom.auth import audit

API = "/api/v1"


def _one(client: TestClient, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    store = client.app.state.signalroom.request_store()  # type: ignore[attr-defined]
    try:
        return tuple(store.connection.execute(sql, params or []).fetchall()[0])
    finally:
        store.close()


def _person_with(client: TestClient, kind: str) -> tuple[int, str]:
    """A person and one of their identifiers of this kind, as records carry it (raw)."""
    person, raw = _one(
        client,
        "SELECT p.person_id, r.raw FROM identifier_persons p JOIN identity_raw r USING (node_id) "
        "JOIN identity_nodes n USING (node_id) WHERE n.kind = ? AND NOT p.contested ORDER BY p.person_id, r.raw "
        "LIMIT 1",
        [kind],
    )
    return int(person), str(raw)


def test_search_by_email_phone_id_person_and_name(shared_client: TestClient, centre_template: Centre) -> None:
    analyst = centre_template.people["analyst"].headers
    for kind in ("email", "phone"):
        person, raw = _person_with(shared_client, kind)
        # Written differently from the record: identifiers are normalised as records are.
        asked = raw.upper() if kind == "email" else raw.replace(" ", "")
        body = shared_client.get(f"{API}/customers", params={"q": asked}, headers=analyst).json()
        assert [p["person_id"] for p in body["items"]] == [f"P{person}"], (kind, asked)
        assert body["items"][0]["matched"].startswith(f"{kind}:")
    facts = centre_template.facts
    by_id = shared_client.get(f"{API}/customers", params={"q": facts["customer_id"]}, headers=analyst).json()
    assert by_id["total"] == 1
    assert by_id["items"][0]["matched"] == f"id:{facts['customer_id']}"
    by_person = shared_client.get(f"{API}/customers", params={"q": "P1"}, headers=analyst).json()
    assert by_person["items"][0]["person_id"] == "P1"
    [name] = _one(shared_client, "SELECT name FROM persons WHERE person_id = 1")
    surname = name.split()[-1].lower()
    by_name = shared_client.get(f"{API}/customers", params={"q": surname}, headers=analyst).json()
    assert by_name["total"] >= 1
    assert all(surname in (p["name"] or "").lower() or p["matched"] != "name" for p in by_name["items"])
    assert "P1" in [p["person_id"] for p in by_name["items"]]
    assert set(by_name["items"][0]) == {
        "person_id", "name", "anchor", "identifiers", "profiles", "shared", "interactions", "channels",
        "first_contact", "last_contact", "matched",
    }  # fmt: skip


def test_search_without_q_lists_most_contacts_and_bad_identifiers_are_named(
    shared_client: TestClient, centre_template: Centre
) -> None:
    analyst = centre_template.people["analyst"].headers
    top = shared_client.get(f"{API}/customers", params={"limit": 5}, headers=analyst).json()
    counts = [p["interactions"] for p in top["items"]]
    assert len(counts) == 5 and counts == sorted(counts, reverse=True)
    nobody = shared_client.get(f"{API}/customers", params={"q": "nobody@nowhere.example"}, headers=analyst).json()
    assert nobody["total"] == 0
    bad = shared_client.get(f"{API}/customers", params={"q": "phone:not a number"}, headers=analyst)
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == [{"location": "query.q", "problem": "'not a number' is not a usable phone"}]


def test_person_timeline_and_card(client: TestClient, centre: Centre) -> None:
    [person] = _one(
        client,
        "SELECT r.person_id FROM record_persons r JOIN interactions i ON i.source = r.source AND i.id = r.record_id "
        "WHERE r.record_kind = 'interaction' GROUP BY r.person_id HAVING count(DISTINCT i.agent_team) > 1 "
        "ORDER BY r.person_id LIMIT 1",
    )
    analyst = centre.people["analyst"].headers
    response = client.get(f"{API}/customers/P{person}", headers=analyst)
    assert response.status_code == 200
    body = response.json()
    assert body["person_id"] == f"P{person}"
    assert body["hidden_interactions"] == 0
    timeline = body["timeline"]
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    kinds = {e["record"] for e in timeline}
    assert "interaction" in kinds and kinds <= {"interaction", "event", "survey"}
    latest = [e for e in timeline if e["record"] == "interaction"][-1]
    assert (body["card"]["interaction"]["source"], body["card"]["interaction"]["id"]) == (
        latest["source"],
        latest["id"],
    )
    assert body["card"]["customer"]["person_id"] == f"P{person}"
    # Without the P, too.
    assert client.get(f"{API}/customers/{person}", headers=analyst).json()["person_id"] == f"P{person}"
    # A supervisor sees only their teams' interactions on the timeline.
    supervisor = centre.people["supervisor"]
    scoped = client.get(f"{API}/customers/P{person}", headers=supervisor.headers).json()
    shown = [e for e in scoped["timeline"] if e["record"] == "interaction"]
    every = [e for e in timeline if e["record"] == "interaction"]
    assert scoped["hidden_interactions"] == len(every) - len(shown) > 0
    store = client.app.state.signalroom.request_store()  # type: ignore[attr-defined]
    try:
        teams = {
            row[0]
            for row in store.connection.execute(
                "SELECT agent_team FROM interactions WHERE id IN (SELECT unnest(?))", [[e["id"] for e in shown]]
            ).fetchall()
        }
        entries, total = audit.entries(store, action="view_customer")
    finally:
        store.close()
    assert teams <= set(supervisor.teams)
    assert total == 3
    assert [(e["username"], e["resource"]) for e in entries] == [
        ("supervisor", f"customer P{person}"),
        ("analyst", f"customer P{person}"),
        ("analyst", f"customer P{person}"),
    ]


def test_unknown_people_and_roles_without_customer_access(shared_client: TestClient, centre_template: Centre) -> None:
    people = centre_template.people
    missing = shared_client.get(f"{API}/customers/P99999999", headers=people["analyst"].headers)
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "no customer P99999999")
    assert shared_client.get(f"{API}/customers/nobody", headers=people["analyst"].headers).status_code == 404
    for who in ("advisor", "advisor2", "executive"):
        assert shared_client.get(f"{API}/customers", headers=people[who].headers).status_code == 403, who
        assert shared_client.get(f"{API}/customers/P1", headers=people[who].headers).status_code == 403, who
