"""/api/v1/qa and /api/v1/agents: scorecards and their lint, scoped answers, the dispute flow (an
advisor disputes their own answer, QA reviews it), evaluations and calibration, compliance risk, and
agents seen by each role."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient

from centre_fixtures import Centre
from signalroom.store import Store

VOICE_SUMMARY = {
    "id": "voice-compliance",
    "name": "Voice compliance",
    "version": 1,
    "sections": 1,
    "criteria": 1,
    "kinds": {"phrase": 1},
    "auto_fail": ["recording-disclosure"],
    "description": "What every call must contain before anything else is discussed.",
    "criteria_list": [
        {
            "id": "recording-disclosure",
            "name": "Call-recording and monitoring disclosure",
            "description": "The agent tells the customer the call is recorded or monitored within the first three "
            "agent turns (60 seconds), before any account detail is discussed.",
            "kind": "phrase",
            "weight": 10.0,
            "auto_fail": True,
            "section": "Disclosures",
        }
    ],
}
BAD_CARD = """id: my-card
name: My card
sections:
  - name: Opening
    criteria:
      - id: greet
        name: Greets
        kind: phrase
        patterns: [hello]
        wieght: 2
"""


def h(centre: Centre, username: str) -> dict[str, str]:
    return centre.people[username].headers


def without(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in keys}


def failing_answer(client: TestClient, centre: Centre, username: str, interaction: str) -> dict[str, Any]:
    answers = client.get(f"/api/v1/qa/answers?interaction={interaction}", headers=h(centre, username)).json()
    return next(a for a in answers["items"] if a["value"] == "fail")


# ---------------------------------------------------------------- scorecards


def test_scorecards_are_listed_with_their_criteria_even_to_an_advisor(
    shared_client: TestClient, centre_template: Centre
) -> None:
    response = shared_client.get("/api/v1/qa/scorecards", headers=h(centre_template, "advisor"))
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body["items"]] == [
        "customer-experience", "data-security", "identity-verification", "voice-compliance"
    ]  # fmt: skip
    assert without(body, "items") == {"total": 4, "limit": 50, "offset": 0, "next_offset": None}
    voice = next(c for c in body["items"] if c["id"] == "voice-compliance")
    assert without(voice, "content_hash") == VOICE_SUMMARY


def test_one_scorecard_answers_its_yaml_and_definition(shared_client: TestClient, centre_template: Centre) -> None:
    body = shared_client.get("/api/v1/qa/scorecards/voice-compliance", headers=h(centre_template, "qa")).json()
    assert body["definition"]["sections"][0]["criteria"][0]["patterns"] == [
        "call NEAR:4 record", "call NEAR:4 monitor", "recording NEAR:3 call"
    ]  # fmt: skip
    assert yaml.safe_load(body["yaml"])["sections"][0]["criteria"][0]["weight"] == 10.0
    assert body["source_path"].endswith("voice-compliance.yaml")
    missing = shared_client.get("/api/v1/qa/scorecards/nope", headers=h(centre_template, "qa"))
    assert missing.status_code == 404
    assert missing.json() == {"error": {"status": 404, "code": "not_found", "message": (
        "no scorecard 'nope' in use (in use: customer-experience, data-security, identity-verification, "
        "voice-compliance)")}}  # fmt: skip


def test_lint_names_the_line_and_field_of_every_problem(shared_client: TestClient, centre_template: Centre) -> None:
    headers = {**h(centre_template, "qa"), "content-type": "application/yaml"}
    response = shared_client.post("/api/v1/qa/scorecards/lint", content=BAD_CARD, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"valid": False, "problems": [
        {"line": 10, "field": "sections[0].criteria[0].wieght", "message": "Extra inputs are not permitted"}
    ]}  # fmt: skip
    broken = shared_client.post("/api/v1/qa/scorecards/lint", content="id: [x\n", headers=headers).json()
    assert broken == {"valid": False, "problems": [
        {"line": 2, "field": None, "message": "not valid YAML: expected ',' or ']', but got '<stream end>'"}
    ]}  # fmt: skip
    good = shared_client.post("/api/v1/qa/scorecards/lint", json={"yaml": BAD_CARD.replace("wieght", "weight")},
                              headers=h(centre_template, "qa"))  # fmt: skip
    assert good.json() == {"valid": True, "problems": []}


def test_setting_a_scorecard_rescores_and_a_bad_one_is_refused(client: TestClient, centre: Centre) -> None:
    path = "/api/v1/qa/scorecards/my-card"
    headers = {**h(centre, "qa"), "content-type": "application/yaml"}
    bad = client.put(path, content=BAD_CARD, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == [
        {"location": "body.yaml.sections[0].criteria[0].wieght", "line": 10,
         "problem": "Extra inputs are not permitted"}
    ]  # fmt: skip
    good = BAD_CARD.replace("wieght", "weight")
    other = client.put("/api/v1/qa/scorecards/other", content=good, headers=headers)
    assert other.status_code == 422
    assert "the YAML's id is 'my-card', not 'other'" in other.json()["error"]["message"]
    assert client.put(path, content=good, headers={**h(centre, "supervisor"), "content-type": "application/yaml"}
                      ).status_code == 403  # fmt: skip
    done = client.put(path, content=good, headers=headers)
    assert done.status_code == 200
    body = done.json()
    assert without(body, "score") == {"scorecard_id": "my-card", "version": 1, "changed": True}
    assert body["score"]["interactions"] == body["score"]["results"] // 5 > 0
    assert "my-card" in [c["id"] for c in client.get("/api/v1/qa/scorecards", headers=headers).json()["items"]]
    again = client.put(path, content=good, headers=headers).json()
    assert (again["changed"], again["score"]["interactions"]) == (False, 0)


def test_scoring_is_for_qa_managers(shared_client: TestClient, centre_template: Centre) -> None:
    done = shared_client.post("/api/v1/qa/score", json={}, headers=h(centre_template, "qa"))
    assert done.status_code == 200
    assert (done.json()["interactions"], done.json()["sync"]) == (0, {"loaded": [], "unchanged": [], "errors": []})
    assert shared_client.post("/api/v1/qa/score", headers=h(centre_template, "analyst")).status_code == 403


# ---------------------------------------------------------------- answers


def test_answers_are_scoped_to_what_the_user_may_see(shared_client: TestClient, centre_template: Centre) -> None:
    advisor, supervisor = centre_template.people["advisor"], centre_template.people["supervisor"]
    own = shared_client.get("/api/v1/qa/answers?limit=500", headers=advisor.headers).json()
    assert own["total"] > 0 and {a["agent_id"] for a in own["items"]} == {advisor.agent_id}
    teams = shared_client.get("/api/v1/qa/answers?limit=500", headers=supervisor.headers).json()
    assert {a["agent_team"] for a in teams["items"]} == set(supervisor.teams)
    everything = shared_client.get("/api/v1/qa/answers?limit=1", headers=h(centre_template, "qa")).json()
    assert everything["total"] > teams["total"] > own["total"]
    other = centre_template.facts["advisor2_interaction"]
    hidden = shared_client.get(f"/api/v1/qa/answers?interaction={other}", headers=advisor.headers).json()
    assert hidden == {"items": [], "total": 0, "limit": 50, "offset": 0, "next_offset": None}
    assert shared_client.get("/api/v1/qa/answers", headers=h(centre_template, "executive")).status_code == 403


def test_answers_filter_by_criterion_value_and_common_filters(
    shared_client: TestClient, centre_template: Centre
) -> None:
    qa = h(centre_template, "qa")
    fails = shared_client.get("/api/v1/qa/answers?criterion=next-steps&value=fail&channel=chat&limit=500",
                              headers=qa).json()  # fmt: skip
    assert fails["total"] > 0
    assert {(a["criterion_id"], a["value"], a["channel"]) for a in fails["items"]} == {("next-steps", "fail", "chat")}
    one = shared_client.get(f"/api/v1/qa/answers?interaction={centre_template.facts['advisor_interaction']}&limit=1",
                            headers=qa).json()  # fmt: skip
    assert set(one["items"][0]) == {
        "source", "id", "scorecard_id", "criterion_id", "value", "confidence", "explanation", "evidence",
        "started_at", "channel", "queue", "agent_id", "agent_team", "reason_id",
    }  # fmt: skip
    bad = shared_client.get("/api/v1/qa/answers?value=maybe", headers=qa)
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["location"] == "query.value"


# ---------------------------------------------------------------- disputes


def test_dispute_flow_advisor_raises_qa_reviews(client: TestClient, centre: Centre) -> None:
    advisor, facts = centre.people["advisor"], centre.facts
    answer = failing_answer(client, centre, "advisor", facts["advisor_interaction"])
    raise_body = {"interaction_id": facts["advisor_interaction"], "criterion": answer["criterion_id"],
                  "comment": "I did say what happens next"}  # fmt: skip
    raised = client.post("/api/v1/qa/disputes", json=raise_body, headers=advisor.headers)
    assert raised.status_code == 201
    dispute = raised.json()
    assert without(dispute, "raised_at", "history", "started_at") == {
        "dispute_id": dispute["dispute_id"], "source": "demo", "id": facts["advisor_interaction"],
        "scorecard_id": answer["scorecard_id"], "criterion_id": answer["criterion_id"], "original_value": "fail",
        "raised_by": "advisor", "comment": "I did say what happens next", "status": "open", "corrected_value": None,
        "reviewer": None, "review_comment": None, "reviewed_at": None, "agent_id": advisor.agent_id,
        "agent_team": facts["team"], "channel": answer["channel"], "current_value": "fail",
        "confidence": answer["confidence"], "explanation": answer["explanation"], "evidence": answer["evidence"],
    }  # fmt: skip
    assert [without(e, "at") for e in dispute["history"]] == [
        {"action": "raised", "actor": "advisor", "comment": "I did say what happens next", "value": "fail"}
    ]
    number = dispute["dispute_id"]
    again = client.post("/api/v1/qa/disputes", json=raise_body, headers=advisor.headers)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == f"dispute {number} about this answer is still open"

    # The advisor may not review; QA accepts it and the answer is corrected.
    review = {"decision": "accept", "comment": "the next steps were given"}
    denied = client.post(f"/api/v1/qa/disputes/{number}/review", json=review, headers=advisor.headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "an advisor may not do this: it is for admin, qa"
    accepted = client.post(f"/api/v1/qa/disputes/{number}/review", json=review, headers=h(centre, "qa"))
    assert accepted.status_code == 200
    body = accepted.json()
    assert {k: body[k] for k in ("status", "corrected_value", "reviewer", "review_comment", "current_value")} == {
        "status": "accepted", "corrected_value": "pass", "reviewer": "qa",
        "review_comment": "the next steps were given", "current_value": "pass",
    }  # fmt: skip
    assert [(e["action"], e["actor"], e["value"]) for e in body["history"]] == [
        ("raised", "advisor", "fail"), ("accepted", "qa", "pass")
    ]  # fmt: skip
    closed = client.post(f"/api/v1/qa/disputes/{number}/review", json={"decision": "reject"}, headers=h(centre, "qa"))
    assert closed.status_code == 409
    assert closed.json() == {"error": {"status": 409, "code": "conflict",
                                       "message": f"dispute {number} was already accepted by qa"}}  # fmt: skip
    # The advisor sees it among their disputes, the other advisor does not.
    mine = client.get("/api/v1/qa/disputes?status=accepted", headers=advisor.headers).json()
    assert [d["dispute_id"] for d in mine["items"]] == [number]
    assert client.get("/api/v1/qa/disputes", headers=h(centre, "advisor2")).json()["total"] == 0
    hidden = client.get(f"/api/v1/qa/disputes/{number}", headers=h(centre, "advisor2"))
    assert hidden.status_code == 404
    assert hidden.json()["error"]["message"] == f"no dispute {number} among those you may see"
    assert client.get(f"/api/v1/qa/disputes/{number}", headers=h(centre, "supervisor")).status_code == 200


def test_an_advisor_cannot_dispute_another_advisors_interaction(client: TestClient, centre: Centre) -> None:
    other = centre.facts["advisor2_interaction"]
    answer = failing_answer(client, centre, "advisor2", other)
    body = {"interaction_id": other, "criterion": answer["criterion_id"], "comment": "not mine but still"}
    for username in ("advisor", "supervisor"):
        response = client.post("/api/v1/qa/disputes", json=body, headers=h(centre, username))
        assert response.status_code == 404, username
        message = f"no interaction '{other}' among those you may see"
        assert response.json() == {"error": {"status": 404, "code": "not_found", "message": message}}
    assert client.post("/api/v1/qa/disputes", json=body, headers=h(centre, "advisor2")).status_code == 201
    assert client.post("/api/v1/qa/disputes", json=body, headers=h(centre, "executive")).status_code == 403


def test_dispute_bad_inputs_are_named(client: TestClient, centre: Centre) -> None:
    own = centre.facts["advisor_interaction"]
    advisor = h(centre, "advisor")
    unknown = client.post("/api/v1/qa/disputes", json={"interaction_id": own, "criterion": "nope", "comment": "x"},
                          headers=advisor)  # fmt: skip
    assert unknown.status_code == 422
    message = f"interaction '{own}' has no answer for criterion 'nope'"
    assert unknown.json() == {"error": {"status": 422, "code": "invalid_request", "message": message,
                                        "fields": [{"location": "criterion", "problem": message}]}}  # fmt: skip
    empty = client.post("/api/v1/qa/disputes", json={"interaction_id": own, "criterion": "x", "comment": ""},
                        headers=advisor)  # fmt: skip
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["location"] == "body.comment"
    missing = client.post("/api/v1/qa/disputes/999/review", json={"decision": "accept"}, headers=h(centre, "qa"))
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no dispute 999 among those you may see"
    answer = failing_answer(client, centre, "advisor", own)
    body = {"interaction_id": own, "criterion": answer["criterion_id"], "comment": "wrong"}
    number = client.post("/api/v1/qa/disputes", json=body, headers=advisor).json()["dispute_id"]
    bad_value = client.post(f"/api/v1/qa/disputes/{number}/review", json={"decision": "accept", "value": "maybe"},
                            headers=h(centre, "qa"))  # fmt: skip
    assert bad_value.status_code == 422 and bad_value.json()["error"]["fields"][0]["location"] == "body.value"
    rejected = client.post(f"/api/v1/qa/disputes/{number}/review", json={"decision": "reject", "comment": "no"},
                           headers=h(centre, "qa")).json()  # fmt: skip
    assert (rejected["status"], rejected["current_value"], rejected["corrected_value"]) == ("rejected", "fail", None)


# ---------------------------------------------------------------- evaluations and calibration


def test_evaluations_agreement_and_calibration(client: TestClient, centre: Centre) -> None:
    qa = h(centre, "qa")
    own = centre.facts["advisor_interaction"]
    criterion = failing_answer(client, centre, "qa", own)["criterion_id"]
    rows = [
        {"evaluator": "ann", "interaction": own, "criterion": criterion, "answer": "fail"},
        {"evaluator": "bob", "interaction": own, "criterion": criterion, "answer": "yes", "comment": "said it"},
        {"evaluator": "bob", "interaction": "nope", "criterion": criterion, "answer": "yes"},
    ]
    imported = client.post("/api/v1/qa/evaluations", json={"evaluations": rows}, headers=qa)
    assert imported.status_code == 200
    assert imported.json() == {"files": ["api (sent by qa)"], "rows": 3, "imported": 2, "replaced": 0,
                               "rejected": 1, "errors": [{"file": "api (sent by qa)", "line": 3,
                                                          "message": "unknown interaction 'nope'"}]}  # fmt: skip
    csv = f"evaluator,interaction,criterion,answer\ncid,{own},{criterion},pass\n".encode()
    uploaded = client.post("/api/v1/qa/evaluations", files={"file": ("week-12.csv", csv, "text/csv")}, headers=qa)
    assert uploaded.json() == {"files": ["week-12.csv (uploaded by qa)"], "rows": 1, "imported": 1, "replaced": 0,
                               "rejected": 0, "errors": []}  # fmt: skip
    assert client.post("/api/v1/qa/evaluations", json={"evaluations": rows}, headers=h(centre, "analyst")
                       ).status_code == 403  # fmt: skip

    agreement = client.get("/api/v1/qa/agreement", headers=h(centre, "analyst")).json()["criteria"]
    assert [(c["criterion_id"], c["evaluations"], c["interactions"]) for c in agreement] == [(criterion, 3, 1)]
    picks = client.post("/api/v1/qa/calibration/pick", json={"size": 5}, headers=qa).json()["picks"]
    assert [(p["interaction_id"], p["criterion_id"], p["auto"]["value"]) for p in picks] == [(own, criterion, "fail")]
    assert sorted(x["evaluator"] for x in picks[0]["humans"]) == ["ann", "bob", "cid"]
    recorded = client.post("/api/v1/qa/calibration/record", headers=qa, json={
        "interaction_id": own, "criterion": criterion, "answer": "pass", "note": "the steps were given"})  # fmt: skip
    assert recorded.status_code == 201
    assert recorded.json() == {"source": "demo", "interaction_id": own, "scorecard_id": picks[0]["scorecard_id"],
                               "criterion_id": criterion, "answer": "pass", "agreed_by": "qa",
                               "note": "the steps were given", "replaced": False}  # fmt: skip
    bad = client.post("/api/v1/qa/calibration/record", headers=qa,
                      json={"interaction_id": own, "criterion": "nope", "answer": "pass"})  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["error"]["message"] == "unknown criterion 'nope' (not in any scorecard in use)"
    sessions = client.get("/api/v1/qa/calibration", headers=h(centre, "supervisor")).json()
    assert [(s["agreed_by"], s["items"], s["criteria"]) for s in sessions["sessions"]] == [
        ("qa", 1, [f"{picks[0]['scorecard_id']}/{criterion}"])
    ]
    assert [(r["criterion_id"], r["agreed"], r["false_fails"]) for r in sessions["report"]] == [(criterion, 1, 1)]
    assert client.post("/api/v1/qa/calibration/pick", json={}, headers=h(centre, "analyst")).status_code == 403
    assert client.get("/api/v1/qa/calibration", headers=h(centre, "advisor")).status_code == 403


# ---------------------------------------------------------------- compliance risk


def test_risk_contrasts_every_interaction_with_a_2_percent_sample(
    shared_client: TestClient, centre_template: Centre
) -> None:
    response = shared_client.get("/api/v1/qa/risk?criterion=recording-disclosure", headers=h(centre_template,
                                                                                             "executive"))  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert without(body, "criteria") == {"scorecard": None, "criterion": "recording-disclosure", "by": "agent",
                                         "trend": "week", "from": None, "to": None, "sample_rate": 0.02,
                                         "alpha": 0.05}  # fmt: skip
    [risk] = body["criteria"]
    sample = risk["sample"]
    assert sample["size"] == max(1, -(-risk["applicable"] * 2 // 100))
    assert sample["text"].startswith(f"a 2% review ({sample['size']:,} of {risk['applicable']:,}) would have seen")
    assert sample["ci_width"] > sample["full_ci_width"]
    bad = shared_client.get("/api/v1/qa/risk?scorecard=nope", headers=h(centre_template, "analyst"))
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["location"] == "scorecard"
    assert shared_client.get("/api/v1/qa/risk", headers=h(centre_template, "advisor")).status_code == 403


def test_a_supervisor_sees_the_whole_risk_but_only_their_teams_rows_and_examples(
    shared_client: TestClient, centre_template: Centre
) -> None:
    team, other = centre_template.facts["team"], centre_template.facts["other_team"]
    with Store.open(centre_template.db, read_only=True) as store:
        agent_team = dict(store.connection.execute(
            "SELECT agent_id, any_value(agent_team) FROM interactions WHERE agent_id IS NOT NULL GROUP BY 1"
        ).fetchall())  # fmt: skip
        handled_by = dict(store.connection.execute("SELECT source || '/' || id, agent_team FROM interactions")
                          .fetchall())  # fmt: skip
    for by, team_of in (("agent", agent_team.get), ("team", lambda key: key)):
        url = f"/api/v1/qa/risk?by={by}&examples=20"
        everyone = shared_client.get(url, headers=h(centre_template, "qa")).json()["criteria"]
        scoped = shared_client.get(url, headers=h(centre_template, "supervisor")).json()["criteria"]
        assert [(c["criterion_id"], c["applicable"], c["failures"], c["prevalence"]) for c in scoped] == [
            (c["criterion_id"], c["applicable"], c["failures"], c["prevalence"]) for c in everyone
        ]  # the population's figures are the same
        assert {team_of(g["key"]) for c in everyone for g in c["breakdown"]} >= {team, other}
        assert {team_of(g["key"]) for c in scoped for g in c["breakdown"]} == {team}
        for c, whole in zip(scoped, everyone, strict=True):
            assert c["breakdown"] == [g for g in whole["breakdown"] if team_of(g["key"]) == team]
            assert {handled_by[e] for e in c["examples"]} <= {team}
            assert c["examples"] == [e for e in whole["examples"] if handled_by[e] == team]
            assert all(team_of(m) == team for m in c["sample"]["missed"])
    shown = shared_client.get("/qa", headers=h(centre_template, "supervisor"))
    assert shown.status_code == 200 and f"only those you may see (teams {team})" in shown.text
    assert "only those you may see" not in shared_client.get("/qa", headers=h(centre_template, "qa")).text


# ---------------------------------------------------------------- agents


def test_agents_are_scoped(shared_client: TestClient, centre_template: Centre) -> None:
    everyone = shared_client.get("/api/v1/agents?finding=all&limit=500", headers=h(centre_template, "qa")).json()
    assert len({f["agent_id"] for f in everyone["items"]}) > 2
    supervisor = centre_template.people["supervisor"]
    teams = shared_client.get("/api/v1/agents?finding=all&limit=500", headers=supervisor.headers).json()
    assert teams["total"] > 0 and {f["team"] for f in teams["items"]} == set(supervisor.teams)
    advisor = centre_template.people["advisor"]
    own = shared_client.get("/api/v1/agents?finding=all&limit=500", headers=advisor.headers).json()
    assert own["total"] > 0 and {f["agent_id"] for f in own["items"]} == {advisor.agent_id}
    outliers = shared_client.get("/api/v1/agents?limit=500", headers=h(centre_template, "qa")).json()["items"]
    assert outliers and {f["finding"] for f in outliers} <= {"coaching", "exemplar"}
    assert shared_client.get("/api/v1/agents", headers=h(centre_template, "executive")).status_code == 403


def test_an_agents_picture_and_who_may_see_it(shared_client: TestClient, centre_template: Centre) -> None:
    advisor, other = centre_template.people["advisor"], centre_template.people["advisor2"]
    mine = shared_client.get(f"/api/v1/agents/{advisor.agent_id}", headers=advisor.headers)
    assert mine.status_code == 200
    body = mine.json()
    assert (body["agent_id"], body["team"]) == (advisor.agent_id, centre_template.facts["team"])
    assert set(body) == {"agent_id", "team", "scores", "criteria", "coaching", "disputes"}
    assert {c["scorecard_id"] for c in body["criteria"]} <= {s["scorecard_id"] for s in body["scores"]}
    first = body["criteria"][0]
    assert first["answers"] == first["passes"] + first["failures"]
    assert body["coaching"]["agent_id"] == advisor.agent_id
    for b in body["coaching"]["behaviours"]:
        assert b["exemplar"] is None or b["exemplar"]["agent_id"] is None  # a peer, not named to an advisor
    for username, agent_id in (("advisor", other.agent_id), ("supervisor", other.agent_id)):
        hidden = shared_client.get(f"/api/v1/agents/{agent_id}", headers=h(centre_template, username))
        assert hidden.status_code == 404
        assert hidden.json()["error"]["message"] == f"no agent '{agent_id}' among those you may see"
    assert shared_client.get(f"/api/v1/agents/{other.agent_id}", headers=h(centre_template, "qa")).status_code == 200
    assert shared_client.get("/api/v1/agents/nobody", headers=h(centre_template, "qa")).status_code == 404
