"""/api/v1/signals, /actions, /routing and /webhooks: what they answer, their transitions and
errors, and that each user sees only what their role and scope allow."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from centre_fixtures import Centre
from signalroom.store import Store
from signalroom.store.signals import get_signal

API = "/api/v1"
SIGNAL_KEYS = (
    "signal_id", "rank", "title", "kind", "reasons", "detectors", "first_detected", "last_detected",
    "owner_function", "owner", "routing_rule", "support", "advisor_flags",
)  # fmt: skip
ITEM_KEYS = {"source", "id", "channel", "started_at", "local_date", "reason", "reason_label", "queue", "agent_id",
             "agent_team", "evidence", "link"}  # fmt: skip


def h(centre: Centre, who: str) -> dict[str, str]:
    return centre.people[who].headers


def stored_signal(centre: Centre) -> dict[str, Any]:
    with Store.open(centre.db, read_only=True) as store:
        row = get_signal(store, centre.facts["signal_id"])
    assert row is not None
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


def everything(client: TestClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        body = client.get(url, params={"limit": 500, "offset": offset}, headers=headers).json()
        items.extend(body["items"])
        offset = body["next_offset"]
    return items


# -- signals ----------------------------------------------------------------------------------


def test_ranked_list_is_the_stored_list_in_a_page(shared_client: TestClient, centre_template: Centre) -> None:
    expected = stored_signal(centre_template)
    body = shared_client.get(f"{API}/signals", headers=h(centre_template, "executive")).json()
    assert {k: body[k] for k in ("total", "limit", "offset", "next_offset")} == {
        "total": 1, "limit": 50, "offset": 0, "next_offset": None,
    }  # fmt: skip
    [item] = body["items"]
    assert {k: item[k] for k in SIGNAL_KEYS} == {k: expected[k] for k in SIGNAL_KEYS}
    assert item["evidence"] == expected["evidence"]
    assert item["actions"] == []
    assert shared_client.get(f"{API}/signals?all=true", headers=h(centre_template, "advisor")).json()["total"] == 1


def test_one_signal_and_bad_ids(shared_client: TestClient, centre_template: Centre) -> None:
    sid = centre_template.facts["signal_id"]
    expected = stored_signal(centre_template)
    got = shared_client.get(f"{API}/signals/{sid}", headers=h(centre_template, "analyst")).json()
    assert {k: got[k] for k in SIGNAL_KEYS} == {k: expected[k] for k in SIGNAL_KEYS}
    assert got["findings"] == expected["findings"]
    # Evidence names interactions: an advisor is shown only their own (these are bot sessions: none).
    advisor = shared_client.get(f"{API}/signals/{sid}", headers=h(centre_template, "advisor")).json()
    assert advisor["evidence"] == []
    assert shared_client.get(f"{API}/signals/999", headers=h(centre_template, "analyst")).json() == {
        "error": {"status": 404, "code": "not_found",
                  "message": "no signal 999: GET /api/v1/signals?all=true lists them"},
    }  # fmt: skip
    bad = shared_client.get(f"{API}/signals/abc", headers=h(centre_template, "analyst"))
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["location"] == "path.signal_id"


def test_interactions_behind_are_scoped(shared_client: TestClient, centre_template: Centre) -> None:
    url = f"{API}/signals/{centre_template.facts['signal_id']}/interactions"
    admin = everything(shared_client, url, h(centre_template, "admin"))
    supervisor = everything(shared_client, url, h(centre_template, "supervisor"))
    advisor = everything(shared_client, url, h(centre_template, "advisor"))
    advisor2 = everything(shared_client, url, h(centre_template, "advisor2"))
    assert len(admin) > len(supervisor) > len(advisor) > 0
    assert set(admin[0]) == ITEM_KEYS
    assert admin[0]["evidence"] is True  # the evidence first
    assert admin[0]["link"] == f"/interactions/{admin[0]['source']}/{admin[0]['id']}"
    assert {i["agent_team"] for i in supervisor} == {centre_template.facts["team"]}
    assert {i["agent_id"] for i in advisor} == {centre_template.people["advisor"].agent_id}
    assert {i["agent_id"] for i in advisor2} <= {centre_template.people["advisor2"].agent_id}
    assert not {i["id"] for i in advisor} & {i["id"] for i in advisor2}
    mine = {(i["source"], i["id"]) for i in advisor}
    assert mine <= {(i["source"], i["id"]) for i in admin}
    page = shared_client.get(url, params={"limit": 2, "offset": 2}, headers=h(centre_template, "admin")).json()
    assert page["items"] == admin[2:4]
    assert (page["total"], page["next_offset"]) == (len(admin), 4)
    assert shared_client.get(url, headers=h(centre_template, "executive")).status_code == 403
    assert shared_client.get(f"{API}/signals/999/interactions", headers=h(centre_template, "admin")).status_code == 404


def test_advisor_flags_only_with_their_own_interaction(client: TestClient, centre: Centre) -> None:
    own, other = (f"demo/{centre.facts[k]}" for k in ("advisor_interaction", "advisor2_interaction"))
    response = client.post(f"{API}/signals/flags", json={"text": "  fee letter   confusing ", "interaction": own},
                           headers=h(centre, "advisor"))  # fmt: skip
    assert (response.status_code, response.json()) == (
        201, {"flag_id": 1, "advisor": "advisor", "text": "fee letter confusing", "interaction": own},
    )  # fmt: skip
    refused = client.post(
        f"{API}/signals/flags", json={"text": "x", "interaction": other}, headers=h(centre, "advisor")
    )
    assert refused.json() == {"error": {"status": 404, "code": "not_found",
                                        "message": f"no interaction {other} among those you may see"}}  # fmt: skip
    malformed = client.post(f"{API}/signals/flags", json={"text": "x", "interaction": "nope"},
                            headers=h(centre, "advisor"))  # fmt: skip
    assert malformed.status_code == 422
    assert "is not SOURCE/ID" in malformed.json()["error"]["message"]
    blank = client.post(f"{API}/signals/flags", json={"text": "   "}, headers=h(centre, "advisor"))
    assert (blank.status_code, blank.json()["error"]["message"]) == (
        422, "the flag's text is empty: describe the pattern, e.g. 'customers confused by the fee letter'",
    )  # fmt: skip
    missing = client.post(f"{API}/signals/flags", json={}, headers=h(centre, "advisor"))
    assert missing.json()["error"]["fields"][0]["location"] == "body.text"
    assert client.post(f"{API}/signals/flags", json={"text": "x"}, headers=h(centre, "executive")).status_code == 403
    # The supervisor flags too (without an interaction); the advisor sees only their own flags.
    assert client.post(f"{API}/signals/flags", json={"text": "app crashes on login"},
                       headers=h(centre, "supervisor")).status_code == 201  # fmt: skip
    mine = client.get(f"{API}/signals/flags", headers=h(centre, "advisor")).json()
    assert [f["advisor"] for g in mine["items"] for f in g["items"]] == ["advisor"]
    every = client.get(f"{API}/signals/flags", headers=h(centre, "analyst")).json()
    assert sorted(f["advisor"] for g in every["items"] for f in g["items"]) == ["advisor", "supervisor"]
    # The supervisor sees the flags of their team's people, not another team's advisor's.
    assert client.post(f"{API}/signals/flags", json={"text": "refund form rejects postcodes"},
                       headers=h(centre, "advisor2")).status_code == 201  # fmt: skip
    every = client.get(f"{API}/signals/flags", headers=h(centre, "analyst")).json()
    assert sorted(f["advisor"] for g in every["items"] for f in g["items"]) == ["advisor", "advisor2", "supervisor"]
    team = client.get(f"{API}/signals/flags", headers=h(centre, "supervisor")).json()
    assert sorted(f["advisor"] for g in team["items"] for f in g["items"]) == ["advisor", "supervisor"]
    first = every["items"][0]
    assert set(first) == {"group_id", "text", "flags", "advisors", "customers", "need", "first", "last", "signal",
                          "items"}  # fmt: skip


def test_detect_is_for_analysts(client: TestClient, centre: Centre) -> None:
    assert client.post(f"{API}/signals/detect", json={}, headers=h(centre, "supervisor")).status_code == 403
    bad = client.post(f"{API}/signals/detect", json={"detectors": ["tea_leaves"]}, headers=h(centre, "analyst"))
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("unknown detector tea_leaves; known: volume")
    assert client.post(f"{API}/signals/detect", json={"days": 0}, headers=h(centre, "analyst")).status_code == 422
    run = client.post(f"{API}/signals/detect", json={"dry_run": True, "detectors": ["volume", "drivers"]},
                      headers=h(centre, "analyst")).json()  # fmt: skip
    assert (run["stored"], run["to"], run["config"]["detectors"]) == (False, "2026-03-31", ["volume", "drivers"])
    stored = client.post(f"{API}/signals/detect", json={}, headers=h(centre, "admin")).json()
    assert stored["stored"] is True
    listed = client.get(f"{API}/signals", headers=h(centre, "analyst")).json()
    assert [s["signal_id"] for s in listed["items"]] == [s["signal_id"] for s in stored["signals"]]


# -- actions ----------------------------------------------------------------------------------


def test_action_from_a_signal_and_its_transitions(client: TestClient, centre: Centre, centre_template: Centre) -> None:
    sid = centre.facts["signal_id"]
    signal = stored_signal(centre_template)  # the test's copy is open in its app
    analyst = h(centre, "analyst")
    created = client.post(f"{API}/actions", json={"signal_id": sid, "due": "2026-04-15"}, headers=analyst)
    assert created.status_code == 201
    body = created.json()
    stamps = {k: body.pop(k) for k in ("created_at", "updated_at")}
    assert stamps["created_at"] == stamps["updated_at"]
    measure = body.pop("measure")
    assert body == {
        "action_id": 1, "signal_id": sid, "title": signal["title"], "owner_function": signal["owner_function"],
        "owner": signal["owner"], "due": "2026-04-15", "status": "open", "rejected_reason": None,
        "created_by": "analyst", "done_at": None,
    }  # fmt: skip
    assert (measure["reasons"], measure["rate"]) == (signal["reasons"], "repeat_rate")

    def patch(payload: dict[str, Any], who: str = "analyst") -> Any:
        return client.patch(f"{API}/actions/1", json=payload, headers=h(centre, who))

    assert patch({"status": "done"}).json()["error"] == {
        "status": 409, "code": "conflict",
        "message": "action 1 is open: it cannot become done (from open: in_progress, rejected)",
    }  # fmt: skip
    assert patch({"status": "someday"}).json()["error"]["message"] == (
        "unknown status 'someday'; statuses: open, in_progress, done, verified, rejected"
    )
    assert patch({"status": "someday"}).status_code == 422
    bad_day = patch({"due": "2026-02-30"})
    assert (bad_day.status_code, bad_day.json()["error"]["fields"][0]["location"]) == (422, "body.due")
    assert patch({}).status_code == 422
    assert patch({"title": "  "}).json()["error"]["message"] == "the title is empty: say what is to be done"
    assert patch({"status": "in_progress"}, who="advisor").status_code == 403
    assert patch({"status": "in_progress"}, who="executive").status_code == 403

    moved = patch({"status": "in_progress", "title": "Rewrite the fee letter", "owner": "Fees team"}).json()
    assert (moved["status"], moved["title"], moved["owner"]) == ("in_progress", "Rewrite the fee letter", "Fees team")
    assert [(e["kind"], e["actor"]) for e in moved["history"]] == [
        ("created", "analyst"), ("owner", "analyst"), ("status", "analyst"), ("title", "analyst"),
    ]  # fmt: skip
    assert moved["history"][-1]["detail"] == {"from": signal["title"], "to": "Rewrite the fee letter"}
    assert patch({"owner": "Fees team"}).status_code == 409
    assert patch({"status": "rejected"}).json()["error"]["message"] == (
        "rejecting action 1 needs a reason: give --reason TEXT"
    )
    done = patch({"status": "done"}, who="supervisor").json()
    assert done["status"] == "done" and done["done_at"] is not None and done["impact"] is not None
    assert patch({"status": "verified"}).json()["status"] == "verified"
    assert patch({"status": "open"}).json()["error"]["message"] == (
        "action 1 is verified: it cannot become open (from verified: none: it is closed)"
    )

    shown = client.get(f"{API}/actions/1", headers=h(centre, "executive")).json()
    assert [e["kind"] for e in shown["history"]][-2:] == ["status", "status"]
    assert shown["impact"]["verdict"].startswith("too early")  # done today, after the demo's last day
    listed = client.get(f"{API}/actions", params={"status": "verified"}, headers=h(centre, "executive")).json()
    assert [a["action_id"] for a in listed["items"]] == [1]
    assert client.get(f"{API}/actions", params={"status": "open"}, headers=analyst).json()["total"] == 0
    assert client.get(f"{API}/actions", params={"status": "nope"}, headers=analyst).status_code == 422
    assert client.get(f"{API}/actions", params={"owner": "Fees team"}, headers=analyst).json()["total"] == 1
    assert client.get(f"{API}/actions", headers=h(centre, "advisor")).status_code == 403
    assert client.get(f"{API}/actions/7", headers=analyst).json()["error"]["message"] == (
        "no action 7: GET /api/v1/actions lists them"
    )


def test_standalone_actions_and_bad_input(client: TestClient, centre: Centre) -> None:
    analyst = h(centre, "analyst")
    reason = centre.facts["reason_id"]
    no_title = client.post(f"{API}/actions", json={"reasons": [reason], "owner_function": "qa"}, headers=analyst)
    assert (no_title.status_code, no_title.json()["error"]["message"]) == (
        422, "an action needs a signal (--signal ID) or a title (--title) and reasons (--reasons)",
    )  # fmt: skip
    bad_function = client.post(f"{API}/actions", json={"title": "Coach", "reasons": [reason],
                                                       "owner_function": "sales"}, headers=analyst)  # fmt: skip
    assert bad_function.status_code == 422
    assert bad_function.json()["error"]["message"].startswith("unknown owner function 'sales'")
    bad_due = client.post(f"{API}/actions", json={"title": "Coach", "due": "soon"}, headers=analyst)
    assert bad_due.json()["error"]["fields"][0]["location"] == "body.due"
    unknown = client.post(f"{API}/actions", json={"signal_id": 999}, headers=analyst)
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (404, "no signal 999: see `signalroom signals`")
    assert client.post(f"{API}/actions", json={"signal_id": 1}, headers=h(centre, "advisor")).status_code == 403
    made = client.post(f"{API}/actions", json={"title": "Coach on refunds", "reasons": [reason],
                                               "owner_function": "training"}, headers=analyst)  # fmt: skip
    assert (made.status_code, made.json()["signal_id"], made.json()["created_by"]) == (201, None, "analyst")


def test_comments_and_evidence_within_scope(client: TestClient, centre: Centre) -> None:
    supervisor = h(centre, "supervisor")
    client.post(f"{API}/actions", json={"signal_id": centre.facts["signal_id"]}, headers=h(centre, "analyst"))
    commented = client.post(f"{API}/actions/1/comments", json={"text": "letter drafted"}, headers=supervisor)
    assert commented.status_code == 201
    assert commented.json()["history"][-1] | {"happened_at": None} == {
        "happened_at": None, "actor": "supervisor", "kind": "comment", "detail": {"text": "letter drafted"},
    }  # fmt: skip
    assert client.post(f"{API}/actions/1/comments", json={"text": ""}, headers=supervisor).status_code == 422
    own = f"demo/{centre.facts['advisor_interaction']}"  # the supervisor's team's
    other = f"demo/{centre.facts['advisor2_interaction']}"
    linked = client.post(f"{API}/actions/1/evidence", json={"interaction": own, "note": "typical"}, headers=supervisor)
    assert [(e["source"], e["id"], e["note"], e["added_by"]) for e in linked.json()["evidence"]] == [
        ("demo", centre.facts["advisor_interaction"], "typical", "supervisor"),
    ]  # fmt: skip
    again = client.post(f"{API}/actions/1/evidence", json={"interaction": own}, headers=supervisor)
    assert (again.status_code, again.json()["error"]["message"]) == (
        409, f"evidence {own} is already linked to action 1",
    )  # fmt: skip
    refused = client.post(f"{API}/actions/1/evidence", json={"interaction": other}, headers=supervisor)
    assert refused.json()["error"] == {"status": 404, "code": "not_found",
                                       "message": f"no interaction {other} among those you may see"}  # fmt: skip
    assert (
        client.post(f"{API}/actions/1/comments", json={"text": "x"}, headers=h(centre, "executive")).status_code == 403
    )
    # Evidence about another team's interaction, linked by the analyst: the supervisor does not see it.
    linked = client.post(f"{API}/actions/1/evidence", json={"interaction": other, "note": "elsewhere"},
                         headers=h(centre, "analyst"))  # fmt: skip
    both = [centre.facts["advisor_interaction"], centre.facts["advisor2_interaction"]]
    assert [e["id"] for e in linked.json()["evidence"]] == both
    seen = client.get(f"{API}/actions/1", headers=supervisor).json()["evidence"]
    assert [(e["id"], e["note"]) for e in seen] == [(centre.facts["advisor_interaction"], "typical")]
    moved = client.patch(f"{API}/actions/1", json={"status": "in_progress"}, headers=supervisor).json()
    assert [e["id"] for e in moved["evidence"]] == [centre.facts["advisor_interaction"]]


def test_impact_after_done(done_client: TestClient, centre: Centre) -> None:
    impact = done_client.get(f"{API}/actions/1", headers=h(centre, "executive")).json()["impact"]
    assert impact["done"] == "2026-03-15"
    assert (impact["before"]["first"], impact["before"]["last"]) == ("2026-03-01", "2026-03-14")
    assert impact["after"]["first"] == "2026-03-16"
    assert {p["period"] for p in impact["series"]} == {"before", "done", "after"}
    assert impact["verdict"] in ("fell", "rose", "no significant change") or impact["verdict"].startswith("too early")


# -- routing and webhooks ---------------------------------------------------------------------

RULES = """\
rules:
  - name: refunds
    when:
      words: [refund]
    owner_function: policy
    owner: Refund desk
default:
  owner_function: operations
"""


def test_routing_show_lint_and_set(client: TestClient, centre: Centre) -> None:
    shown = client.get(f"{API}/routing", headers=h(centre, "executive")).json()
    assert (shown["version"], shown["shipped_defaults"]) == (None, True)
    assert shown["rules"]["default"] == {"owner_function": "operations", "owner": "Contact centre operations"}
    linted = client.post(f"{API}/routing/lint", json={"yaml": RULES}, headers=h(centre, "analyst")).json()
    assert (linted["ok"], linted["rules"], linted["default"]) == (True, 1, {"owner_function": "operations",
                                                                          "owner": None})  # fmt: skip
    bad = client.post(f"{API}/routing/lint", json={"yaml": RULES.replace("policy", "legal")},
                      headers=h(centre, "analyst"))  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("the rules sent: line 5: rules[0].owner_function: Input should be")
    assert client.put(f"{API}/routing", json={"yaml": RULES}, headers=h(centre, "supervisor")).status_code == 403
    assert client.put(f"{API}/routing", json={"yaml": "rules: ["}, headers=h(centre, "analyst")).status_code == 422
    put = client.put(f"{API}/routing", json={"yaml": RULES}, headers=h(centre, "analyst")).json()
    assert put == {"version": 1, "rerouted": 1, "rules": 1}
    signal = client.get(f"{API}/signals/{centre.facts['signal_id']}", headers=h(centre, "analyst")).json()
    assert (signal["owner_function"], signal["owner"], signal["routing_rule"]) == ("policy", "Refund desk", "refunds")
    assert client.get(f"{API}/routing", headers=h(centre, "analyst")).json()["yaml"] == RULES


def test_webhooks_are_for_admins(client: TestClient, centre: Centre) -> None:
    admin = h(centre, "admin")
    assert client.get(f"{API}/webhooks", headers=h(centre, "analyst")).status_code == 403
    short = client.post(f"{API}/webhooks", json={"url": "https://hooks.example/x", "secret": "short"}, headers=admin)
    assert (short.status_code, short.json()["error"]["message"].split(":")[0]) == (
        422,
        "webhook secret is 5 characters",
    )
    bad_event = client.post(f"{API}/webhooks", json={"url": "https://hooks.example/x", "secret": "s" * 20,
                                                     "events": ["signal.exploded"]}, headers=admin)  # fmt: skip
    assert bad_event.status_code == 422
    added = client.post(f"{API}/webhooks", json={"url": "https://hooks.example/x", "secret": "s" * 20,
                                                 "events": ["action.created"]}, headers=admin).json()  # fmt: skip
    assert {k: v for k, v in added.items() if k != "created_at"} == {
        "subscription_id": 1, "url": "https://hooks.example/x", "events": ["action.created"], "active": True,
        "pending": 0, "delivered": 0, "dead": 0,
    }  # fmt: skip
    client.post(f"{API}/actions", json={"signal_id": centre.facts["signal_id"]}, headers=h(centre, "analyst"))
    listed = client.get(f"{API}/webhooks", headers=admin).json()
    assert (listed["total"], listed["items"][0]["pending"]) == (1, 1)
    assert client.post(f"{API}/webhooks/1/disable", headers=admin).json() == {
        "subscription_id": 1, "active": False, "changed": True,
    }  # fmt: skip
    assert client.post(f"{API}/webhooks/1/disable", headers=admin).json()["changed"] is False
    assert client.post(f"{API}/webhooks/9/disable", headers=admin).status_code == 404
    assert client.get(f"{API}/webhooks/dead-letters", headers=admin).json()["items"] == []
    assert client.post(f"{API}/webhooks/dead-letters/replay", json={"all": True}, headers=admin).json() == {
        "replayed": []
    }
    assert client.post(f"{API}/webhooks/dead-letters/replay", json={}, headers=admin).status_code == 422
    missing = client.post(f"{API}/webhooks/dead-letters/replay", json={"delivery_ids": [42]}, headers=admin)
    assert missing.status_code == 404
